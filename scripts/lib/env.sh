# Shared by ./tinytrain and scripts/*: find a JDK >= 22 and the build tools, or say what to do.
# Source it; it defines functions only.

tt_java_major() { # $1 = path to a java binary; prints its feature version (e.g. 25) or nothing
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}

# Sets JAVA_HOME to a JDK >= 22: $JAVA_HOME first, then /usr/lib/jvm/*, newest first.
tt_find_jdk() {
  local candidates=() c v best="" best_v=0
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/*; do [ -d "$c" ] && candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(tt_java_major "$c/bin/java")
    v=${v%%.*}
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [ "$c" = "${JAVA_HOME:-}" ] && [ "$v" -ge 22 ]; then best=$c; best_v=$v; break; fi
    if [ "$v" -ge 22 ] && [ "$v" -gt "$best_v" ]; then best=$c; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    cat >&2 <<MSG
tinytrain needs a JDK >= 22 (JDK 25 recommended) for the Foreign Function & Memory API.
Looked at: \$JAVA_HOME (${JAVA_HOME:-unset}) and /usr/lib/jvm/*; none is a JDK >= 22.
Install one, for example Eclipse Temurin 25 (https://adoptium.net, package temurin-25-jdk),
then run again, or point JAVA_HOME at it: JAVA_HOME=/path/to/jdk-25 $0 ...
MSG
    return 1
  fi
  export JAVA_HOME=$best
  export PATH="$JAVA_HOME/bin:$PATH"
}

# Makes sure the named commands exist; installs their Debian packages when root, else explains.
tt_need() { # pairs: command package
  local missing=() pkgs=()
  while [ $# -ge 2 ]; do
    command -v "$1" >/dev/null 2>&1 || { missing+=("$1"); pkgs+=("$2"); }
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tinytrain: installing ${pkgs[*]} (missing: ${missing[*]})" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"; } >&2 || {
      echo "tinytrain: apt-get install ${pkgs[*]} failed" >&2; return 1; }
  else
    echo "tinytrain: missing ${missing[*]}. Install them, e.g.: sudo apt-get install ${pkgs[*]}" >&2
    return 1
  fi
}

tt_need_build_tools() {
  tt_need mvn maven cmake cmake cc gcc make make
}

# Maven in batch mode without download progress. On JDK >= 23 Maven's bundled Guava touches
# sun.misc.Unsafe and the JDK warns about it on every run; allow it quietly.
tt_mvn() {
  local v
  v=$(tt_java_major "$JAVA_HOME/bin/java"); v=${v%%.*}
  if [ "${v:-0}" -ge 23 ]; then
    MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}" mvn -B -ntp "$@"
  else
    mvn -B -ntp "$@"
  fi
}

# The Cortex-M toolchain (Debian's gcc-arm-none-eabi + newlib) and QEMU for the MCU builds and tests.
# Returns 0 when all are present (installing them with apt-get when root), else prints what is
# missing and returns 1 (callers skip their MCU steps).
tt_mcu_tools() {
  local pkgs=()
  command -v arm-none-eabi-gcc >/dev/null 2>&1 || pkgs+=(gcc-arm-none-eabi)
  if ! command -v arm-none-eabi-gcc >/dev/null 2>&1 \
      || [ ! -f "$(arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -print-file-name=libc.a)" ]; then
    pkgs+=(libnewlib-arm-none-eabi)
  fi
  command -v qemu-system-arm >/dev/null 2>&1 || pkgs+=(qemu-system-arm)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tinytrain: installing ${pkgs[*]} for the Cortex-M builds" >&2
    if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"; } >&2; then
      return 0
    fi
    echo "tinytrain: apt-get install ${pkgs[*]} failed" >&2
  fi
  echo "skipped: Cortex-M builds and QEMU tests need ${pkgs[*]} (sudo apt-get install ${pkgs[*]})"
  return 1
}
