# Shared part of the Cortex-M toolchain files (cortex-m3.cmake, cortex-m4.cmake, cortex-m7.cmake):
# Debian's arm-none-eabi-gcc with newlib, bare metal. A toolchain file sets TT_CORTEX_M (m3, m4, m7)
# and TT_CORTEX_M_FLAGS (-mcpu/-mfpu/-mfloat-abi), then includes this file.
#
#   cmake -S native-kernels -B build/cortex-m4 -DCMAKE_TOOLCHAIN_FILE=native-kernels/cmake/cortex-m4.cmake
#
# The toolchain comes from Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi
# (and qemu-system-arm to run the tests). Every flag that changes numerics is in the library's own
# options (-ffp-contract=off), so a firmware project compiles the kernels exactly as the tests do.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

find_program(TT_ARM_GCC arm-none-eabi-gcc)
if(NOT TT_ARM_GCC)
    message(FATAL_ERROR "arm-none-eabi-gcc not found. Install Debian's Cortex-M toolchain:\n"
                        "  apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi")
endif()
get_filename_component(TT_ARM_BIN "${TT_ARM_GCC}" DIRECTORY)
set(CMAKE_C_COMPILER "${TT_ARM_GCC}")
set(CMAKE_ASM_COMPILER "${TT_ARM_GCC}")
set(CMAKE_AR "${TT_ARM_BIN}/arm-none-eabi-ar" CACHE FILEPATH "archiver")
set(CMAKE_RANLIB "${TT_ARM_BIN}/arm-none-eabi-ranlib" CACHE FILEPATH "ranlib")
set(CMAKE_OBJCOPY "${TT_ARM_BIN}/arm-none-eabi-objcopy" CACHE FILEPATH "objcopy")
set(CMAKE_SIZE "${TT_ARM_BIN}/arm-none-eabi-size" CACHE FILEPATH "size")
set(CMAKE_NM "${TT_ARM_BIN}/arm-none-eabi-nm" CACHE FILEPATH "nm")

# Compiler checks build a static library: a bare-metal executable needs our startup and linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(TT_CORTEX_M "${TT_CORTEX_M}" CACHE STRING "Cortex-M core of this build (m3, m4, m7)")
# CMAKE_C_FLAGS_INIT only seeds CMAKE_C_FLAGS: a -DCMAKE_C_FLAGS=... on the command line replaces it,
# so native-kernels/CMakeLists.txt adds TT_CORTEX_M_FLAGS again when they went missing.
set(CMAKE_C_FLAGS_INIT "${TT_CORTEX_M_FLAGS} -mthumb -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${TT_CORTEX_M_FLAGS} -mthumb")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${TT_CORTEX_M_FLAGS} -mthumb -Wl,--gc-sections")

# Headers and libraries come from the toolchain's sysroot only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
