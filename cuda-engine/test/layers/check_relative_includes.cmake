# cmake -DNT_SRC=<engine src> -P check_relative_includes.cmake
# Fails when a source under src/ includes a path with "..": such an include is resolved from the
# including file's own directory and would reach a layer that the file's include root hides.
file(GLOB_RECURSE sources "${NT_SRC}/*.h" "${NT_SRC}/*.cc" "${NT_SRC}/*.cu" "${NT_SRC}/*.cuh")
set(found "")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<][^\">]*\\.\\.")
  foreach(line IN LISTS lines)
    string(APPEND found "\n  ${source}: ${line}")
  endforeach()
endforeach()
list(LENGTH sources count)
if(count EQUAL 0)
  message(FATAL_ERROR "no sources under ${NT_SRC}")
endif()
if(found)
  message(FATAL_ERROR "includes that climb out of their layer's include root:${found}")
endif()
message(STATUS "${count} sources, none including a path with \"..\"")
