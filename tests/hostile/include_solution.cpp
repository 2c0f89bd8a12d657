// Compile-time theft: #include of the reference solution by its absolute path. The build
// sandbox does not have solutions/, so this is a compile error that shows none of it.
#include "@ROOT@/solutions/01-ftok/ftok_key.cpp"
