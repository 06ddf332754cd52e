# Cortex-M7 with the FPv5 FPU (hard float; double-precision registers, single-precision math here)
# and the DSP extension. Emulated by QEMU's mps2-an500 board; the STM32F746 is one.
set(TT_CORTEX_M m7)
set(TT_CORTEX_M_FLAGS "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard")
set(TT_BOARD_DEFAULT mps2-an500)
include("${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake")
