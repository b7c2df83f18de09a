# HogarTest.cmake: hogar_add_test(NAME SOURCES a.cpp... LIBS lib... [LABELS l...])
# One doctest executable per test folder; each TEST_CASE becomes a ctest test so that a
# failure names the sentence that broke.
include(doctest)

function(hogar_add_test name)
  cmake_parse_arguments(T "SERIAL" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE hogar_doctest_main ${T_LIBS})
  set(serial FALSE)
  if(T_SERIAL)
    # Tests that start processes on ports and need the whole machine run one at a time.
    set(serial TRUE)
  endif()
  doctest_discover_tests(${name} ADD_LABELS 0 PROPERTIES LABELS "${T_LABELS}"
                         TIMEOUT 120 RUN_SERIAL ${serial})
endfunction()
