# ipclab_exercise(ID <id> DIR <lab dir> FILES <student files...>
#                 BINARIES <name=main.cpp...> UNIT <test sources...> REMOTE <table.cpp>)
#
# Builds one exercise as its own targets, so one that does not compile stops no other:
#   <id>-student   the student's files (from IPCLAB_SOURCE/<id>/)
#   <binary>...    one program per manifest [[binary]], in bin/
#   <id>-worker    the student's files behind the unit tests' socket, in tests/
#   <id>-unit      the visible GoogleTest unit tests; <id>-hidden the visible and the
#                  grader's hidden ones, when IPCLAB_HIDDEN_DIR has some. Neither links the
#                  student's files: each call goes to the worker (lab/include/ipclab/remote.hpp)
#   <id>-unit-objects  the visible tests compiled once, for both test programs
#   ex-<id>        all of the above: `cmake --build build --target ex-01-ftok`
function(ipclab_exercise)
  cmake_parse_arguments(EX "" "ID;DIR;REMOTE" "FILES;BINARIES;UNIT" ${ARGN})

  if(IPCLAB_EXERCISES AND NOT EX_ID IN_LIST IPCLAB_EXERCISES)
    return()
  endif()

  set(student_sources "")
  foreach(file IN LISTS EX_FILES)
    set(path "${IPCLAB_SOURCE}/${EX_ID}/${file}")
    if(NOT EXISTS "${path}")
      message(WARNING "ipclab: ${EX_ID}: ${path} does not exist; this exercise is not built")
      return()
    endif()
    list(APPEND student_sources "${path}")
  endforeach()

  if(IPCLAB_SHARED_STUDENT)
    # One shared object beside the programs; -z defs: a call to a function the file never
    # defines is a build error, as it is when the programs link the objects themselves.
    add_library(${EX_ID}-student SHARED ${student_sources})
    set_target_properties(${EX_ID}-student PROPERTIES
                          LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")
    target_link_options(${EX_ID}-student PRIVATE "LINKER:-z,defs")
  else()
    # Objects, not an archive: one less step per exercise, and the programs link the same.
    add_library(${EX_ID}-student OBJECT ${student_sources})
  endif()
  # The exercise's own header sits in the lab's directory, beside the student's file.
  target_include_directories(${EX_ID}-student PUBLIC "${EX_DIR}")
  target_link_libraries(${EX_ID}-student PUBLIC ipclab_support)
  # The headers student files use, parsed once for all (lab/include/ipclab/student_pch.hpp).
  target_precompile_headers(${EX_ID}-student REUSE_FROM ipclab_support)
  # Never through a compiler cache: the grader's build cache already keys student files by
  # content, and a cache miss (the usual case: every student's file differs) costs a third more.
  set_target_properties(${EX_ID}-student PROPERTIES CXX_COMPILER_LAUNCHER "")

  add_custom_target(ex-${EX_ID})
  foreach(binary IN LISTS EX_BINARIES)
    string(REPLACE "=" ";" pair "${binary}")
    list(GET pair 0 name)
    list(GET pair 1 main)
    add_executable(${name} "${EX_DIR}/${main}")
    target_link_libraries(${name} PRIVATE ${EX_ID}-student)
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")
    _ipclab_loads_student(${name} "$ORIGIN")
    add_dependencies(ex-${EX_ID} ${name})
  endforeach()

  add_executable(${EX_ID}-worker "${EX_DIR}/${EX_REMOTE}")
  target_compile_definitions(${EX_ID}-worker PRIVATE IPCLAB_REMOTE_WORKER)
  target_link_libraries(${EX_ID}-worker PRIVATE ${EX_ID}-student ipclab_remote_worker)
  set_target_properties(${EX_ID}-worker PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  _ipclab_loads_student(${EX_ID}-worker "$ORIGIN:$ORIGIN/../bin")
  add_dependencies(ex-${EX_ID} ${EX_ID}-worker)

  # The visible tests and the test side of the worker table, compiled once: both test
  # programs are linked from these objects (compiling them for each took a fifth of a build).
  _ipclab_unit_objects(${EX_ID} "${EX_DIR}" ${EX_REMOTE} ${EX_UNIT})
  _ipclab_unit_tests(${EX_ID}-unit "${EX_DIR}")
  if(IPCLAB_HIDDEN_DIR)
    file(GLOB hidden "${IPCLAB_HIDDEN_DIR}/${EX_ID}/unit/*.cpp")
    if(hidden)
      # The grader's test program holds the visible tests too: one link instead of two.
      _ipclab_unit_tests(${EX_ID}-hidden "${EX_DIR}" ${hidden})
    endif()
  endif()
endfunction()

# A program that loads the student's shared object finds it where it stands (the grader
# puts one beside it in bin/ and tests/), never through an absolute path of the build.
function(_ipclab_loads_student target rpath)
  if(IPCLAB_SHARED_STUDENT)
    set_target_properties(${target} PROPERTIES BUILD_WITH_INSTALL_RPATH ON
                          INSTALL_RPATH "${rpath}")
  endif()
endfunction()

# The test programs' part that holds the visible tests and the proxies of the exercise's
# functions (its REMOTE file compiled for the test side), never the student's files: an
# object library, <id>-unit-objects, that <id>-unit and <id>-hidden are both linked from.
function(_ipclab_unit_objects id dir)
  set(sources "")
  foreach(src IN LISTS ARGN)
    list(APPEND sources "${dir}/${src}")
  endforeach()
  add_library(${id}-unit-objects OBJECT ${sources})
  target_include_directories(${id}-unit-objects PRIVATE "${dir}")
  target_link_libraries(${id}-unit-objects PRIVATE ipclab_remote_test ipclab_support
                        ipclab_test_main GTest::gtest Threads::Threads)
  _ipclab_test_pch(${id}-unit-objects)
endfunction()

# GoogleTest and the lab's test support, precompiled once for every test file
# (CMakeLists.txt, lab/include/ipclab/test_pch.hpp).
function(_ipclab_test_pch target)
  target_precompile_headers(${target} REUSE_FROM ipclab_test_main)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
endfunction()

# A test program: the visible tests' objects and the extra test sources given (absolute: the
# hidden tests), never the student's files.
function(_ipclab_unit_tests target dir)
  string(REGEX REPLACE "-(unit|hidden)$" "" id "${target}")
  add_executable(${target} $<TARGET_OBJECTS:${id}-unit-objects> ${ARGN})
  target_include_directories(${target} PRIVATE "${dir}")
  target_link_libraries(${target} PRIVATE ipclab_remote_test ipclab_support ipclab_test_main
                        GTest::gtest Threads::Threads)
  _ipclab_test_pch(${target})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  add_dependencies(ex-${id} ${target})
  # Unit tests create IPC objects: they run in a private IPC (and PID) namespace, as an
  # unprivileged user, so the machine's ipcs is the same after them and permission
  # lessons are observable even for root.
  add_test(NAME ${target}
           COMMAND "${IPCLAB_PYTHON}" "${CMAKE_SOURCE_DIR}/ipclab" sandbox-run --
                   $<TARGET_FILE:${target}>)
endfunction()
