# Cortex-M3: no DSP extension, no FPU (float in software). The kernels take their portable C paths.
# Emulated by QEMU's mps2-an385 board.
set(TT_CORTEX_M m3)
set(TT_CORTEX_M_FLAGS "-mcpu=cortex-m3 -mfloat-abi=soft")
set(TT_BOARD_DEFAULT mps2-an385)
include("${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake")
