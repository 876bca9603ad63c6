# Core: what every layer may use — the error type and its closed set of codes, and text helpers.
set(NT_CORE_SOURCES
  bytes_text.cc
  printf_text.cc
)
set(NT_CORE_TEST_SOURCES
  test/core/error_code_test.cc
)
