# tests/clients/sanitizer-env.sh: sourced by the crun suites; when $B's libkrun.so.1 is a sanitizer build, says how crun must load the runtimes first.
# A program not built with -fsanitize=address can only dlopen an ASan library if libasan was
# loaded before anything else: crun runs with LD_PRELOAD of libasan (and libubsan). Sets SAN_ENV
# to the "export ..." line for crun's wrapper script, "" for a normal build. Only crun gets it
# (not the test's shell tools). Leaks inside crun itself are not ours:
# tests/clients/lsan-crun.supp lists them, each with its reason.
SAN_ENV=
san_libs=$(ldd "$B/libkrun.so.1" 2>/dev/null | awk '/lib(asan|ubsan)\.so/ {print $3}' | sort | paste -sd: -)
[ -n "$san_libs" ] &&
	SAN_ENV="export LD_PRELOAD=$san_libs LSAN_OPTIONS=suppressions=$PWD/tests/clients/lsan-crun.supp:print_suppressions=0"
unset san_libs
