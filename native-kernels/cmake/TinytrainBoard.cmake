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

get_filename_component(tt_board_dir "${CMAKE_CURRENT_LIST_DIR}/../boards" ABSOLUTE)
set(TT_BOARD_DIR "${tt_board_dir}" CACHE INTERNAL "tinytrain board support (startup, linker scripts)")
set(TT_BOARDS mps2-an385 mps2-an386 mps2-an500 stm32f746 CACHE INTERNAL "boards tt_board_firmware knows")

find_program(TT_QEMU_SYSTEM_ARM qemu-system-arm)

# Board name -> QEMU machine ("" when no emulator runs it) and the core it carries, as out variables
# (functions, so a firmware project that adds native-kernels as a subdirectory sees them too).
function(tt__board_info board machine_var core_var)
    set(machine "")
    set(core "")
    if(board STREQUAL "mps2-an385")
        set(machine mps2-an385)
        set(core m3)
    elseif(board STREQUAL "mps2-an386")
        set(machine mps2-an386)
        set(core m4)
    elseif(board STREQUAL "mps2-an500")
        set(machine mps2-an500)
        set(core m7)
    elseif(board STREQUAL "stm32f746")
        set(core m7)
    endif()
    set(${machine_var} "${machine}" PARENT_SCOPE)
    set(${core_var} "${core}" PARENT_SCOPE)
endfunction()

# The command that runs a firmware on a QEMU board with semihosting (exit code = the firmware's status);
# the ELF path goes last. Empty when the board has no emulator or QEMU is missing.
function(tt_board_qemu_command board out_var)
    tt__board_info("${board}" machine core)
    if(machine AND TT_QEMU_SYSTEM_ARM)
        set(${out_var} "${TT_QEMU_SYSTEM_ARM};-M;${machine};-nographic;-monitor;none;-serial;none;-semihosting-config;enable=on,target=native;-kernel" PARENT_SCOPE)
    else()
        set(${out_var} "" PARENT_SCOPE)
    endif()
endfunction()

# The board support: its objects go into every firmware whole (the vector table and newlib's system
# calls are referenced by nothing the linker sees first); libtt_board.a holds the same objects for
# builds outside CMake (link it with --whole-archive).
if(NOT TARGET tt_board_objects)
    file(GLOB TT_BOARD_SOURCES CONFIGURE_DEPENDS "${TT_BOARD_DIR}/src/*.c")
    add_library(tt_board_objects OBJECT ${TT_BOARD_SOURCES})
    target_include_directories(tt_board_objects PUBLIC "${TT_BOARD_DIR}/include")
    target_compile_options(tt_board_objects PRIVATE -O2 -Wall -Wextra)
    set_target_properties(tt_board_objects PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
    add_library(tt_board STATIC $<TARGET_OBJECTS:tt_board_objects>)
    target_include_directories(tt_board PUBLIC "${TT_BOARD_DIR}/include")
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
    tt__board_info("${FW_BOARD}" machine core)
    if(NOT core)
        message(FATAL_ERROR "tt_board_firmware(${target}): unknown board '${FW_BOARD}' (known: ${TT_BOARDS})")
    endif()
    if(TT_CORTEX_M AND NOT core STREQUAL TT_CORTEX_M)
        message(FATAL_ERROR "tt_board_firmware(${target}): board ${FW_BOARD} carries a Cortex-${core}, "
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
    target_link_libraries(${target} PRIVATE tt_board_objects)
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
