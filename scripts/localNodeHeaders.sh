# Sourced before cmake-js: build against the headers of the node that runs the build, as the
# node-gyp steps do (--nodedir), instead of downloading them from nodejs.org into ~/.cmake-js, so
# a first build works offline and on machines whose HOME is fresh. cmake-js reads npm_config_nodedir;
# one the user set wins, and a node without its headers beside it keeps cmake-js's download.
if [[ -z "${npm_config_nodedir:-}" ]]; then
  nt_node_prefix=$(node -p "require('path').resolve(process.execPath, '../..')")
  if [[ -f "$nt_node_prefix/include/node/node_api.h" ]]; then
    export npm_config_nodedir="$nt_node_prefix"
  fi
  unset nt_node_prefix
fi
