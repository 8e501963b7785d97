# Test, example, benchmark and fuzz targets, all found by globbing.

# A small shared helper library for tests: loopback servers, fd counting,
# child processes with timeouts.
file(GLOB WEFT_TESTLIB_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/lib/*.c)
if(WEFT_TESTLIB_SOURCES)
  add_library(weft_testlib STATIC ${WEFT_TESTLIB_SOURCES})
  target_include_directories(weft_testlib PUBLIC ${CMAKE_SOURCE_DIR}/tests/lib
                             PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(weft_testlib PRIVATE _GNU_SOURCE)
  target_link_libraries(weft_testlib PUBLIC weft PkgConfig::CMOCKA)
endif()

# Unit and integration tests: one binary per tests/{unit/<layer>,integ}/test_*.c.
# Each case of a binary is its own ctest entry (a process and a timeout each):
# the binary lists its cases with --list and runs one with its name.
file(GLOB_RECURSE WEFT_TEST_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c ${CMAKE_SOURCE_DIR}/tests/integ/test_*.c)
foreach(src ${WEFT_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(layer ${dir} NAME)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(${name} PRIVATE _GNU_SOURCE
                             WEFT_TEST_SCALE=${WEFT_TEST_SCALE}
                             WEFT_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                             WEFT_BINARY_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(${name} PRIVATE weft_testlib)
  # Cases are declared in the source as WEFT_TEST(name) or cmocka_unit_test(name);
  # we read them here so that ctest has one entry per case.
  file(STRINGS ${src} case_lines REGEX "^[ \t]*(cmocka_unit_test|WEFT_CASE)\\(")
  set(ncase 0)
  foreach(line ${case_lines})
    string(REGEX REPLACE "^[ \t]*(cmocka_unit_test|WEFT_CASE)\\(([A-Za-z0-9_]+).*" "\\2" case "${line}")
    add_test(NAME ${layer}/${name}/${case} COMMAND ${name} ${case})
    set_tests_properties(${layer}/${name}/${case} PROPERTIES TIMEOUT 120 LABELS ${layer})
    math(EXPR ncase "${ncase}+1")
  endforeach()
  if(ncase EQUAL 0)
    add_test(NAME ${layer}/${name} COMMAND ${name})
    set_tests_properties(${layer}/${name} PROPERTIES TIMEOUT 120 LABELS ${layer})
  endif()
endforeach()

# Shell/Python tests against real peers: tests/peers/*.sh and *.py, run with
# the build dir as $1. Each is one ctest entry with a timeout.
file(GLOB WEFT_PEER_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/peers/*.sh
     ${CMAKE_SOURCE_DIR}/tests/peers/*.py)
foreach(t ${WEFT_PEER_TESTS})
  get_filename_component(name ${t} NAME)
  if(t MATCHES "\\.py$")
    add_test(NAME peers/${name} COMMAND /usr/bin/python3 ${t} ${CMAKE_BINARY_DIR})
  else()
    add_test(NAME peers/${name} COMMAND bash ${t} ${CMAKE_BINARY_DIR})
  endif()
  set_tests_properties(peers/${name} PROPERTIES TIMEOUT 300 LABELS peers)
endforeach()

# Examples: each examples/*.c builds; tests/examples/<name>.sh exercises it.
file(GLOB WEFT_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*.c)
foreach(src ${WEFT_EXAMPLES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(example_${name} ${src})
  set_target_properties(example_${name} PROPERTIES OUTPUT_NAME ${name}
                        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/examples)
  target_link_libraries(example_${name} PRIVATE weft)
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/examples/${name}.sh)
    add_test(NAME examples/${name}
             COMMAND bash ${CMAKE_SOURCE_DIR}/tests/examples/${name}.sh ${CMAKE_BINARY_DIR})
    set_tests_properties(examples/${name} PROPERTIES TIMEOUT 120 LABELS examples)
  endif()
endforeach()

# Benchmarks: bench/bench_*.c, each a main that prints ratios. Not tests.
file(GLOB WEFT_BENCHES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bench/bench_*.c)
foreach(src ${WEFT_BENCHES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(${name} PRIVATE _GNU_SOURCE)
  target_link_libraries(${name} PRIVATE weft)
  # A benchmark may name extra libraries in a comment: "// bench-libs: uv"
  file(STRINGS ${src} libs_line REGEX "^// bench-libs:")
  if(libs_line)
    string(REGEX REPLACE "^// bench-libs:[ ]*" "" libs "${libs_line}")
    separate_arguments(libs)
    target_link_libraries(${name} PRIVATE ${libs})
  endif()
endforeach()

# Fuzz targets: fuzz/fuzz_*.c. With WEFT_FUZZ (clang) they are libFuzzer
# binaries; otherwise they link against a small driver that replays the
# corpus, so every build replays fuzz/corpus/<target>/ as a test.
file(GLOB WEFT_FUZZERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${WEFT_FUZZERS})
  get_filename_component(name ${src} NAME_WE)
  if(WEFT_FUZZ)
    add_executable(${name} ${src})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${name} ${src} ${CMAKE_SOURCE_DIR}/fuzz/replay_main.c)
    add_test(NAME fuzz/${name}/replay
             COMMAND ${name} ${CMAKE_SOURCE_DIR}/fuzz/corpus/${name})
    set_tests_properties(fuzz/${name}/replay PROPERTIES TIMEOUT 120 LABELS fuzz)
  endif()
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(${name} PRIVATE _GNU_SOURCE)
  target_link_libraries(${name} PRIVATE weft)
endforeach()
