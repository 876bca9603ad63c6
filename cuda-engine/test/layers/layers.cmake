# The proof that the layering holds (cmake/nt_layer.cmake, ARCHITECTURE.md "Engine"), as ctest
# tests. Each include probe compiles include_probe.cc, which includes one header, twice: as a file
# of a layer that may not include it, where the build must fail on that very header not being
# found; and as a file of a layer that may, where it must build, so that a probe cannot pass on
# some other error. The error-code probe does the same for EngineError's closed set of codes.
# The probes are built on demand through the build tool, one at a time (RESOURCE_LOCK).
set(NT_LAYER_PROBES ${CMAKE_CURRENT_LIST_DIR})

function(nt_probe_test test target)
  add_test(NAME ${test} COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
  set_tests_properties(${test} PROPERTIES RESOURCE_LOCK nt_build_tree LABELS layers)
endfunction()

# nt_include_probe(<header> FORBIDDEN <layer> ALLOWED <layer>)
function(nt_include_probe header)
  cmake_parse_arguments(PARSE_ARGV 1 P "" "FORBIDDEN;ALLOWED" "")
  string(MAKE_C_IDENTIFIER ${header} id)
  foreach(layer ${P_FORBIDDEN} ${P_ALLOWED})
    add_library(nt_probe_${layer}_${id} OBJECT EXCLUDE_FROM_ALL ${NT_LAYER_PROBES}/include_probe.cc)
    target_link_libraries(nt_probe_${layer}_${id} PRIVATE nt_${layer}_headers)
    target_compile_definitions(nt_probe_${layer}_${id} PRIVATE NT_PROBE_HEADER="${header}")
  endforeach()
  nt_probe_test(layers.${P_FORBIDDEN}_may_not_include.${header} nt_probe_${P_FORBIDDEN}_${id})
  string(REPLACE "." "\\." header_pattern ${header})
  # GCC: "cpu/matmul.h: No such file or directory"; clang: "'cpu/matmul.h' file not found".
  set_tests_properties(layers.${P_FORBIDDEN}_may_not_include.${header} PROPERTIES
    PASS_REGULAR_EXPRESSION "${header_pattern}'?:? (No such file or directory|file not found)")
  nt_probe_test(layers.${P_ALLOWED}_may_include.${header} nt_probe_${P_ALLOWED}_${id})
endfunction()

# The two directions the issue names: CUDA code including a CPU header, ops (cpu/) including model.
nt_include_probe(cpu/matmul.h FORBIDDEN cuda ALLOWED cpu)
nt_include_probe(model/model.h FORBIDDEN cpu ALLOWED engine)
# The interfaces do not know their implementations, the implementations not the factory above them.
nt_include_probe(cpu/cpu_backend.h FORBIDDEN backend ALLOWED backend_factory)
nt_include_probe(backend/compute_target.h FORBIDDEN cpu ALLOWED model)
# The shared block-format core does not reach into a backend.
nt_include_probe(cpu/simd.h FORBIDDEN quant ALLOWED cpu)
# A backend computes; placement and streaming are the model's and the streamer's.
nt_include_probe(stream/weight_streamer.h FORBIDDEN cuda ALLOWED model)
nt_include_probe(model/weights.h FORBIDDEN stream ALLOWED model)
nt_include_probe(tokenizer/tokenizer.h FORBIDDEN backend ALLOWED model)
# The core depends on nothing.
nt_include_probe(gguf/gguf_file.h FORBIDDEN core ALLOWED tokenizer)

# EngineError takes an ErrorCode: a string, even "NT_E_IO", does not compile.
foreach(kind string enum)
  add_library(nt_probe_error_code_${kind} OBJECT EXCLUDE_FROM_ALL ${NT_LAYER_PROBES}/error_code_probe.cc)
  target_link_libraries(nt_probe_error_code_${kind} PRIVATE nt_core_headers)
endforeach()
target_compile_definitions(nt_probe_error_code_string PRIVATE NT_PROBE_CODE="NT_E_IO")
target_compile_definitions(nt_probe_error_code_enum PRIVATE NT_PROBE_CODE=nt::ErrorCode::NT_E_IO)
nt_probe_test(layers.error_codes_are_not_strings nt_probe_error_code_string)
# GCC: "no matching function for call to 'nt::EngineError::EngineError(const char [8], ...)'";
# clang: "no matching constructor for initialization of 'nt::EngineError'".
set_tests_properties(layers.error_codes_are_not_strings PROPERTIES
  PASS_REGULAR_EXPRESSION "no matching (function for call to|constructor for initialization of) [^ ]*nt::EngineError")
nt_probe_test(layers.error_codes_are_error_codes nt_probe_error_code_enum)

# Includes with ".." would get around the include roots: there are none.
add_test(NAME layers.no_include_climbs_out_of_its_layer
  COMMAND ${CMAKE_COMMAND} -DNT_SRC=${CMAKE_CURRENT_SOURCE_DIR}/src -P ${NT_LAYER_PROBES}/check_relative_includes.cmake)
set_tests_properties(layers.no_include_climbs_out_of_its_layer PROPERTIES LABELS layers)
