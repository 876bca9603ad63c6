# nt_layer(<name> FOLDER <folder under src> [SOURCES <files>...] [DEPS <layers>...]
#          [HEADERS <files>... | EXCLUDE <files>...])
#
# One layer of the engine (ARCHITECTURE.md, "Engine"): two targets.
#   nt_<name>_headers  (INTERFACE) an include root that holds only this layer's headers, as
#                      symbolic links <root>/<folder>/<file> into src/, so that "<folder>/x.h"
#                      reads as usual; it carries the include roots of the DEPS layers, and no
#                      other. A file that includes a header of a layer it does not depend on
#                      does not compile ("cpu/matmul.h: No such file or directory").
#   nt_<name>          the layer's code (STATIC; INTERFACE for a layer of headers only, or the
#                      CUDA layer when CUDA is not built), linking its DEPS.
# The headers are the folder's *.h and *.cuh, or HEADERS when one folder holds two layers (the
# backend interfaces and the factory that picks a backend); EXCLUDE leaves some out.
# Includes that climb out with "../" would get around this; test/layers/layers.cmake checks
# that there are none.
set(NT_LAYER_ROOTS ${CMAKE_CURRENT_BINARY_DIR}/layers)

function(nt_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 L "" "FOLDER" "SOURCES;DEPS;HEADERS;EXCLUDE")
  set(folder ${CMAKE_CURRENT_SOURCE_DIR}/src/${L_FOLDER})
  if(L_HEADERS)
    set(headers ${L_HEADERS})
  else()
    file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE ${folder} ${folder}/*.h ${folder}/*.cuh)
    if(L_EXCLUDE)
      list(REMOVE_ITEM headers ${L_EXCLUDE})
    endif()
  endif()

  # Relative links, so that the build tree keeps working if the checkout moves with it.
  set(root ${NT_LAYER_ROOTS}/${name})
  file(REMOVE_RECURSE ${root})
  foreach(header IN LISTS headers)
    set(link ${root}/${L_FOLDER}/${header})
    get_filename_component(link_dir ${link} DIRECTORY)
    file(MAKE_DIRECTORY ${link_dir})
    file(RELATIVE_PATH target ${link_dir} ${folder}/${header})
    file(CREATE_LINK ${target} ${link} SYMBOLIC)
  endforeach()

  add_library(nt_${name}_headers INTERFACE)
  target_include_directories(nt_${name}_headers INTERFACE ${root})
  foreach(dep IN LISTS L_DEPS)
    target_link_libraries(nt_${name}_headers INTERFACE nt_${dep}_headers)
  endforeach()

  if(L_SOURCES)
    list(TRANSFORM L_SOURCES PREPEND ${folder}/)
    add_library(nt_${name} STATIC ${L_SOURCES})
    target_compile_options(nt_${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>)
    set(usage PUBLIC)
  else()
    add_library(nt_${name} INTERFACE)
    set(usage INTERFACE)
  endif()
  target_link_libraries(nt_${name} ${usage} nt_${name}_headers)
  foreach(dep IN LISTS L_DEPS)
    target_link_libraries(nt_${name} ${usage} nt_${dep})
  endforeach()
endfunction()
