# Which CUDA architectures to compile for, decided before enable_language(CUDA). Compiling the
# kernels for four GPU generations takes most of a first build, so AUTO compiles only for the
# GPUs this machine has, and not at all when it has none. Each decision is one line that starts
# "ntransformer: engine:", which scripts/quietStep.sh shows even when it hides the rest.

# nt_gpu_architectures(<out>): the compute capabilities of the GPUs present as CMake CUDA
# architectures, deduplicated and sorted ("86;90"), or "" when there is none: no nvidia-smi, no
# driver loaded, or no device. nvidia-smi is the driver's own tool, so it answers for the driver
# the engine will run on; NT_NVIDIA_SMI names another one (tests use a stand-in).
function(nt_gpu_architectures out)
  set(smi "$ENV{NT_NVIDIA_SMI}")
  if(smi STREQUAL "")
    find_program(smi nvidia-smi NO_CACHE)
  endif()
  set(architectures "")
  if(smi)
    execute_process(COMMAND "${smi}" --query-gpu=compute_cap --format=csv,noheader
      RESULT_VARIABLE status OUTPUT_VARIABLE text ERROR_QUIET TIMEOUT 30)
    if(status EQUAL 0)
      string(REGEX MATCHALL "[0-9]+\\.[0-9]+" capabilities "${text}")
      foreach(capability IN LISTS capabilities)
        string(REPLACE "." "" architecture "${capability}")
        list(APPEND architectures "${architecture}")
      endforeach()
      list(REMOVE_DUPLICATES architectures)
      list(SORT architectures COMPARE NATURAL)
    endif()
  endif()
  set(${out} "${architectures}" PARENT_SCOPE)
endfunction()

# nt_nvcc_version(<out> <nvcc>): "13.0" from `nvcc --version`, or "" when it does not say.
function(nt_nvcc_version out nvcc)
  execute_process(COMMAND "${nvcc}" --version OUTPUT_VARIABLE text ERROR_QUIET TIMEOUT 30)
  string(REGEX MATCH "release ([0-9]+\\.[0-9]+)" match "${text}")
  set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

# nt_select_cuda(<mode> <architectures> <nvcc> <on_out> <architectures_out>): the decision for
# WITH_CUDA=<mode> (AUTO, ON or OFF), the user's NT_CUDA_ARCHITECTURES ("" when not given) and
# the CUDA compiler check_language(CUDA) found (empty or NOTFOUND when none):
#   OFF   CPU only;
#   ON    CUDA for the given list, else for 80;86;89;90, GPU or not (CI compiles sm_80 without one);
#   AUTO  CUDA when nvcc exists and a GPU is present: for the given list, else for the GPUs
#         present; otherwise CPU only, saying which of the two is missing.
function(nt_select_cuda mode requested nvcc on_out architectures_out)
  set(cuda OFF)
  set(architectures "")
  if(mode STREQUAL "OFF")
    message(STATUS "ntransformer: engine: CPU only (NT_WITH_CUDA=OFF)")
  elseif(mode STREQUAL "ON")
    set(cuda ON)
    set(architectures "${requested}")
    if(architectures STREQUAL "")
      set(architectures "80;86;89;90")
    endif()
    set(reason "NT_WITH_CUDA=ON")
  elseif(mode STREQUAL "AUTO")
    if(nvcc)
      nt_gpu_architectures(present)
    endif()
    if(NOT nvcc)
      message(STATUS "ntransformer: engine: CPU only (no nvcc found)")
    elseif(present STREQUAL "")
      nt_nvcc_version(nvcc_version "${nvcc}")
      message(STATUS "ntransformer: engine: CPU only (no GPU found; nvcc ${nvcc_version} present)")
    else()
      set(cuda ON)
      set(architectures "${requested}")
      set(reason "the GPUs present")
      if(architectures STREQUAL "")
        set(architectures "${present}")
      else()
        set(reason "NT_CUDA_ARCHITECTURES")
      endif()
    endif()
  else()
    message(FATAL_ERROR "NT_WITH_CUDA must be AUTO, ON or OFF (got '${mode}')")
  endif()
  if(cuda)
    string(REPLACE ";" ", sm_" shown "sm_${architectures}")
    message(STATUS "ntransformer: engine: CUDA for ${shown} (${reason}) and CPU")
  endif()
  set(${on_out} ${cuda} PARENT_SCOPE)
  set(${architectures_out} "${architectures}" PARENT_SCOPE)
endfunction()

# As a script, for tests: cmake -DMODE=AUTO -DREQUESTED= -DNVCC=/path/to/nvcc -P nt_cuda_select.cmake
# prints the decision's line and then "architectures=<list>".
if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  nt_select_cuda("${MODE}" "${REQUESTED}" "${NVCC}" cuda architectures)
  message(STATUS "architectures=${architectures}")
endif()
