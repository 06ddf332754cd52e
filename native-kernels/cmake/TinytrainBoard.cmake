# Cortex-M firmware from tinytrain's board support: startup, vector table, semihosting console and
# exit, linker scripts with the SRAM and flash budgets. Included by native-kernels/CMakeLists.txt
# when it is built with one of the toolchain files in this folder; a firmware project (e.g. generated
# C) adds native-kernels as a subdirectory and calls tt_board_firmware on its executable:
#
#   add_subdirectory(path/to/native-kernels tinytrain)
#   add_executable(train main.c model.c)
#   target_link_libraries(train PRIVATE tinytrain)
#   tt_board_firmware(train BOARD mps2-an386 RAM_BUDGET 262144 STACK_SIZE 8192)
#
# The firmware is <target>.elf with a map file beside it; a link that exceeds a budget fails with a
# "tinytrain: ... exceed the SRAM budget" message. For QEMU boards the target's
# CROSSCOMPILING_EMULATOR runs it (ctest and add_custom_command use it): see tt_board_qemu_command.

set(TT_BOARD_DIR "${CMAKE_CURRENT_LIST_DIR}/../boards")
get_filename_component(TT_BOARD_DIR "${TT_BOARD_DIR}" ABSOLUTE)

# Board name -> QEMU machine and the core it carries ("" machine: builds only).
set(TT_BOARD_QEMU_mps2-an385 mps2-an385)
set(TT_BOARD_QEMU_mps2-an386 mps2-an386)
set(TT_BOARD_QEMU_mps2-an500 mps2-an500)
set(TT_BOARD_QEMU_stm32f746 "")
set(TT_BOARD_CORE_mps2-an385 m3)
set(TT_BOARD_CORE_mps2-an386 m4)
set(TT_BOARD_CORE_mps2-an500 m7)
set(TT_BOARD_CORE_stm32f746 m7)
set(TT_BOARDS mps2-an385 mps2-an386 mps2-an500 stm32f746)

find_program(TT_QEMU_SYSTEM_ARM qemu-system-arm)

# The whole board library goes into every firmware (its vector table and newlib's system calls are
# referenced by nothing the linker sees first); CMake predefines WHOLE_ARCHIVE for hosted platforms only.
if(NOT CMAKE_C_LINK_LIBRARY_USING_WHOLE_ARCHIVE_SUPPORTED)
    set(CMAKE_C_LINK_LIBRARY_USING_WHOLE_ARCHIVE "LINKER:--whole-archive" "<LINK_ITEM>" "LINKER:--no-whole-archive")
    set(CMAKE_C_LINK_LIBRARY_USING_WHOLE_ARCHIVE_SUPPORTED TRUE)
endif()

# The command that runs a firmware on a QEMU board with semihosting (exit code = the firmware's status);
# the ELF path goes last. Empty when the board has no emulator or QEMU is missing.
function(tt_board_qemu_command board out_var)
    set(machine "${TT_BOARD_QEMU_${board}}")
    if(machine AND TT_QEMU_SYSTEM_ARM)
        set(${out_var} "${TT_QEMU_SYSTEM_ARM};-M;${machine};-nographic;-monitor;none;-serial;none;-semihosting-config;enable=on,target=native;-kernel" PARENT_SCOPE)
    else()
        set(${out_var} "" PARENT_SCOPE)
    endif()
endfunction()

# The board support library: one per build (it only depends on the core's compiler flags).
if(NOT TARGET tt_board)
    file(GLOB TT_BOARD_SOURCES CONFIGURE_DEPENDS "${TT_BOARD_DIR}/src/*.c")
    add_library(tt_board STATIC ${TT_BOARD_SOURCES})
    target_include_directories(tt_board PUBLIC "${TT_BOARD_DIR}/include")
    target_compile_options(tt_board PRIVATE -O2 -Wall -Wextra)
    set_target_properties(tt_board PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
endif()

# tt_board_firmware(<target> [BOARD <board>] [RAM_BUDGET <bytes>] [FLASH_BUDGET <bytes>]
#                   [STACK_SIZE <bytes>] [HEAP_MIN <bytes>] [NANO])
# BOARD defaults to the toolchain's QEMU board (TT_BOARD_DEFAULT); NANO links newlib-nano (smaller
# printf without 64-bit or float conversions) instead of the full newlib.
function(tt_board_firmware target)
    cmake_parse_arguments(PARSE_ARGV 1 FW "NANO" "BOARD;RAM_BUDGET;FLASH_BUDGET;STACK_SIZE;HEAP_MIN" "")
    if(NOT FW_BOARD)
        set(FW_BOARD "${TT_BOARD_DEFAULT}")
    endif()
    if(NOT FW_BOARD IN_LIST TT_BOARDS)
        message(FATAL_ERROR "tt_board_firmware(${target}): unknown board '${FW_BOARD}' (known: ${TT_BOARDS})")
    endif()
    if(TT_CORTEX_M AND NOT TT_BOARD_CORE_${FW_BOARD} STREQUAL TT_CORTEX_M)
        message(FATAL_ERROR "tt_board_firmware(${target}): board ${FW_BOARD} carries a Cortex-${TT_BOARD_CORE_${FW_BOARD}}, "
                            "this build targets Cortex-${TT_CORTEX_M} (pick the matching toolchain file)")
    endif()
    set(script "${TT_BOARD_DIR}/ld/${FW_BOARD}.ld")
    set(defsyms)
    foreach(param RAM_BUDGET FLASH_BUDGET STACK_SIZE HEAP_MIN)
        if(DEFINED FW_${param})
            list(APPEND defsyms "-Wl,--defsym=TT_${param}=${FW_${param}}")
        endif()
    endforeach()
    set(specs)
    if(FW_NANO)
        set(specs --specs=nano.specs)
    endif()
    target_link_libraries(${target} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,tt_board>")
    target_link_options(${target} PRIVATE
        -nostartfiles ${specs}
        "-L${TT_BOARD_DIR}/ld" "-T${script}" ${defsyms}
        "-Wl,-Map=$<TARGET_FILE:${target}>.map")
    set_target_properties(${target} PROPERTIES SUFFIX ".elf" LINK_DEPENDS "${script};${TT_BOARD_DIR}/ld/tt_sections.ld")
    tt_board_qemu_command(${FW_BOARD} emulator)
    if(emulator)
        set_target_properties(${target} PROPERTIES CROSSCOMPILING_EMULATOR "${emulator}")
    endif()
endfunction()
