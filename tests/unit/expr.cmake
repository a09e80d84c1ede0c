add_executable(test_expr ${CMAKE_CURRENT_LIST_DIR}/test_expr.c)
target_link_libraries(test_expr meridian_common)
add_test(NAME test_expr COMMAND test_expr)
set_tests_properties(test_expr PROPERTIES LABELS unit)
