# ctest script (cmake -P): runs tests/board_check under QEMU once per mode and checks each exit code
# and report. Arguments: -DFIRMWARE=<elf> -DEMULATOR=<command, arguments separated by |>
cmake_minimum_required(VERSION 3.25)
foreach(var FIRMWARE EMULATOR)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "BoardCheck.cmake needs -D${var}=...")
    endif()
endforeach()
string(REPLACE "|" ";" emulator "${EMULATOR}")

# mode | expected exit code | regular expression the output must match (no square brackets: they would
# group list elements)
set(cases
    "stack|0|board_check stack: peak .* 0 failure.s."
    "exit|7|tt_board: exit 7, stack peak [0-9]+ of [0-9]+ B"
    "fault|100|tt_board: HardFault.*pc=0x3ffffff0.*cfsr=0x"
    "overflow|100|tt_board: stack overflow: sp=0x[0-9a-f]+ is below the stack region .0x20000020, 0x20002000."
    "args second|0|argc 3, argv.1. args, argv.2. second")
set(failed 0)
foreach(case IN LISTS cases)
    string(REPLACE "|" ";" parts "${case}")
    list(GET parts 0 mode)
    list(GET parts 1 want_rc)
    list(GET parts 2 want_out)
    execute_process(COMMAND ${emulator} "${FIRMWARE}" -append "${mode}" RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
    string(REPLACE "\n" " " flat "${out}${err}")
    if(NOT rc STREQUAL want_rc OR NOT flat MATCHES "${want_out}")
        message("FAIL mode '${mode}': exit ${rc} (want ${want_rc}), output: ${out}${err}")
        math(EXPR failed "${failed} + 1")
    else()
        message("ok   mode '${mode}': exit ${rc}")
    endif()
endforeach()
if(failed GREATER 0)
    message(FATAL_ERROR "board_check: ${failed} mode(s) failed")
endif()
