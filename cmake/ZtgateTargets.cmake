# Compile options shared by every ztgate target.

# Warnings are errors on project code only; third-party headers are included
# as SYSTEM and so do not trip -Werror.
function(ztgate_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(ZTGATE_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# Adds a GoogleTest binary and registers its tests with ctest. LABELS lets
# scripts/test select groups; RUN_SERIAL marks tests that must not overlap.
function(ztgate_add_test name)
  cmake_parse_arguments(ARG "RUN_SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  ztgate_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # Each binary is one ctest test: a DPDK test binary may start its EAL only
  # once, so its cases must share one process.
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=0)
  set_tests_properties(${name} PROPERTIES
    TIMEOUT ${ARG_TIMEOUT}
    LABELS "${ARG_LABELS}"
    RUN_SERIAL ${ARG_RUN_SERIAL})
endfunction()
