# ExecStart of nt-qemu-proof.service: runs the program, one argument a line in /nt-qemu/argv (so no
# argument needs quoting for a unit file).
set --
while IFS= read -r arg; do set -- "$@" "$arg"; done </nt-qemu/argv
exec "$@"
