// The headers every unit-test file includes, precompiled once per build and read by every
// test file (CMake: target_precompile_headers, cmake/ipclab_exercise.cmake). GoogleTest's
// header and the lab's remote-call templates are most of the time a test file takes to
// compile; the grader's template and the developer check compile dozens of them.
//
// Only the lab's own code sees it (the test programs, never a student's file), and these
// headers mean the same in every test file (IPCLAB_REMOTE_WORKER is the worker's, never set
// in a test program).
#pragma once

#include <gtest/gtest.h>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "ipclab/unit_message.hpp"
