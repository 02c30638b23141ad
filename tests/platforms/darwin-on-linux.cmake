# A toolchain file that makes CMake configure nick_tracker *as if* for macOS on a Linux machine,
# for scripts/check-macos.sh, which checks the names, install name, rpaths and install rules
# that result. Nothing configured with it can be built: the "compiler" is the host's gcc,
# accepted unchecked, and scripts/check-macos.sh puts a stand-in for macOS's sw_vers on PATH
# (CMake's Darwin platform files ask it for the OS version). Not for real use.
set(CMAKE_SYSTEM_NAME Darwin)
set(CMAKE_SYSTEM_PROCESSOR arm64)
set(CMAKE_OSX_ARCHITECTURES arm64)
set(CMAKE_OSX_DEPLOYMENT_TARGET 11.0)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_C_COMPILER_WORKS ON)
