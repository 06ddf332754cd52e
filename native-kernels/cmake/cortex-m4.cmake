# Cortex-M4 with the single-precision FPU (hard float) and the DSP extension (SMLAD, SXTB16).
# Emulated by QEMU's mps2-an386 board.
set(TT_CORTEX_M m4)
set(TT_CORTEX_M_FLAGS "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
set(TT_BOARD_DEFAULT mps2-an386)
include("${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake")
