#!/bin/sh
# Prints the Debian packages that hold the shared libraries BINARY links (ldd), one per line,
# for the container's runtime stage: Debian 12 and 13 name them differently (libssl3 and
# libssl3t64, libyaml-cpp0.7 and 0.8), so they are found, not listed. Fails if a library belongs
# to no package.
set -eu
binary=$1
packages=""
for lib in $(ldd "$binary" | awk '/=> \// {print $3}'); do
  # By folder and name: with a merged /usr a library may be registered under /lib or /usr/lib.
  pattern="*/$(basename "$(dirname "$lib")")/$(basename "$lib")"
  package=$(dpkg -S "$pattern" 2>/dev/null | cut -d: -f1 | grep -v -- '-dev$' | head -n1 || true)
  if [ -z "$package" ]; then
    echo "runtime-packages: no Debian package holds $lib" >&2
    exit 1
  fi
  packages="$packages $package"
done
printf '%s\n' $packages | sort -u
