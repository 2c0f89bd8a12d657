// Compile-time theft: #include of the hidden unit tests. The student's files compile before
// the hidden tests are in sight, so this is a compile error that shows none of them.
#include "@ROOT@/grader/hidden/01-ftok/unit/ftok_key_hidden_test.cpp"
