# The C unit tests as Cortex-M firmware, run under qemu-system-arm with semihosting (included by
# CMakeLists.txt for the Cortex-M toolchain files). Each test is named cortex-<core>/<test> in ctest.
# Tests see TT_TEST_EMULATED=1 and may shorten their sweeps (emulation runs ~50x slower than the host).

if(NOT TT_QEMU_SYSTEM_ARM)
    message(WARNING "qemu-system-arm not found: the Cortex-${TT_CORTEX_M} tests are built but not run "
                    "(apt-get install qemu-system-arm)")
endif()

# Under emulation a test runs seconds; a hang (e.g. a lockup after a stack overflow) ends here.
set(TT_CORTEX_M_TEST_TIMEOUT 300 CACHE STRING "Seconds before ctest stops an emulated test")

function(tt__cortex_m_test name)
    target_compile_definitions(${name} PRIVATE TT_TEST_EMULATED=1)
    # int32_t is long int on arm-none-eabi, int on the host: the tests print int32_t with %d, which the
    # host build checks (-Wformat) and which passes identically on Arm (both 32-bit words).
    target_compile_options(${name} PRIVATE -Wno-format)
    # Tests allocate their cases on the heap: link with the QEMU board's 4 MB so the test size is free;
    # the 256 KB budget is checked by tt_budget_* and by real firmware.
    tt_board_firmware(${name} RAM_BUDGET 0x400000 FLASH_BUDGET 0x400000 STACK_SIZE 0x8000)
    if(TT_QEMU_SYSTEM_ARM)
        add_test(NAME cortex-${TT_CORTEX_M}/${name} COMMAND ${name})
        set_tests_properties(cortex-${TT_CORTEX_M}/${name} PROPERTIES TIMEOUT ${TT_CORTEX_M_TEST_TIMEOUT})
    endif()
endfunction()

# xcheck: the same kernel calls on the host (built here with the host's C compiler and the library's
# own flags) and on the device; the ctest compares their hashes.
find_program(TT_HOST_CC NAMES cc gcc clang)
function(tt__cortex_m_xcheck)
    if(NOT TT_HOST_CC OR NOT TT_QEMU_SYSTEM_ARM)
        message(WARNING "no host C compiler or no qemu-system-arm: the host-vs-Cortex-${TT_CORTEX_M} xcheck is skipped")
        return()
    endif()
    file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/*.c")
    set(host_xcheck "${CMAKE_CURRENT_BINARY_DIR}/xcheck-host")
    add_custom_command(OUTPUT "${host_xcheck}"
        COMMAND "${TT_HOST_CC}" -std=c99 -O2 -ffp-contract=off -Wall -Wextra -fvisibility=hidden
                "-I${PROJECT_SOURCE_DIR}/include" ${sources} "${PROJECT_SOURCE_DIR}/tests/xcheck.c"
                -lm -o "${host_xcheck}"
        DEPENDS ${sources} "${PROJECT_SOURCE_DIR}/tests/xcheck.c" "${PROJECT_SOURCE_DIR}/tests/tt_test.h"
                "${PROJECT_SOURCE_DIR}/tests/tt_train_test.h"
        COMMENT "Building the host xcheck with ${TT_HOST_CC}"
        VERBATIM)
    add_custom_target(xcheck_host ALL DEPENDS "${host_xcheck}")
    tt_board_qemu_command(${TT_BOARD_DEFAULT} emulator)
    string(REPLACE ";" "|" emulator_arg "${emulator}")
    add_test(NAME cortex-${TT_CORTEX_M}/xcheck-vs-host
             COMMAND "${CMAKE_COMMAND}" -DHOST=${host_xcheck} -DFIRMWARE=$<TARGET_FILE:xcheck>
                     "-DEMULATOR=${emulator_arg}" -P "${PROJECT_SOURCE_DIR}/cmake/XcheckCompare.cmake")
    set_tests_properties(cortex-${TT_CORTEX_M}/xcheck-vs-host PROPERTIES TIMEOUT ${TT_CORTEX_M_TEST_TIMEOUT})
endfunction()

# The ttcount QEMU plugin (a host shared object, built with the host compiler) and its check: a firmware
# whose regions execute a number of instructions known by construction.
function(tt__cortex_m_ttcount)
    if(NOT TT_HOST_CC OR NOT TT_QEMU_SYSTEM_ARM)
        message(WARNING "no host C compiler or no qemu-system-arm: the ttcount plugin is not built")
        return()
    endif()
    set(plugin "${CMAKE_CURRENT_BINARY_DIR}/ttcount.so")
    set(source "${PROJECT_SOURCE_DIR}/qemu-plugin/ttcount.c")
    add_custom_command(OUTPUT "${plugin}"
        COMMAND "${TT_HOST_CC}" -std=c11 -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden
                -o "${plugin}" "${source}"
        DEPENDS "${source}" "${PROJECT_SOURCE_DIR}/qemu-plugin/tt_qemu_plugin_api.h"
        COMMENT "Building the ttcount QEMU plugin with ${TT_HOST_CC}"
        VERBATIM)
    add_custom_target(ttcount_plugin ALL DEPENDS "${plugin}")
    add_executable(ttcount_check tests/ttcount_check.c)
    target_compile_options(ttcount_check PRIVATE ${TT_C_OPTIONS})
    tt_board_firmware(ttcount_check)
    tt_board_qemu_command(${TT_BOARD_DEFAULT} emulator)
    string(REPLACE ";" "|" emulator_arg "${emulator}")
    add_test(NAME cortex-${TT_CORTEX_M}/ttcount-plugin
             COMMAND "${CMAKE_COMMAND}" -DPLUGIN=${plugin} -DFIRMWARE=$<TARGET_FILE:ttcount_check>
                     "-DEMULATOR=${emulator_arg}" -P "${PROJECT_SOURCE_DIR}/cmake/TtcountCheck.cmake")
    set_tests_properties(cortex-${TT_CORTEX_M}/ttcount-plugin PROPERTIES TIMEOUT ${TT_CORTEX_M_TEST_TIMEOUT})
endfunction()
