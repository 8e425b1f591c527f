#!/usr/bin/env bash
# Builds the base image of the offline image build (./mvnw package -Pimages,offline-base) without a
# Docker engine or a registry: a Java 17 runtime made with jlink from the local JDK, the shared
# libraries it and the native libraries of the services (OpenBLAS through JavaCPP, JCuda) need, taken
# from this machine, and a static busybox for `sh` and `wget` (the compose healthchecks and the model
# job use them). Written as a `docker save` tarball, which jib reads as `tar://...` and docker loads.
#
#   scripts/build-base-image.sh [OUTPUT.tar]     default: deploy/base-image/target/moe-jre17.tar
#
# Environment: JAVA_HOME (a JDK 17 with jmods/; default: the java on PATH), BUSYBOX (a static busybox;
# default: `busybox` on PATH if static, else the Debian package busybox-static, fetched with
# `apt-get download`), BASE_IMAGE_NAME (default moe-stream/jre:17). Linux x86_64 only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/deploy/base-image/target/moe-jre17.tar}"
name="${BASE_IMAGE_NAME:-moe-stream/jre:17}"

die() { echo "build-base-image: $*" >&2; exit 1; }
for tool in ldd tar python3 sha256sum; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
[[ "$(uname -m)" == x86_64 ]] || die "only x86_64 is supported, this is $(uname -m)"

if [[ -z "${JAVA_HOME:-}" ]]; then
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
fi
[[ -x "$JAVA_HOME/bin/jlink" && -d "$JAVA_HOME/jmods" ]] || die "JAVA_HOME=$JAVA_HOME is not a JDK with jlink and jmods/"
version="$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[[ "$version" == 17 ]] || die "JAVA_HOME=$JAVA_HOME is Java $version; the images are Java 17"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # apt-get download runs as _apt
rootfs="$work/rootfs"
java_home=/opt/java/openjdk
libdir=/usr/lib/x86_64-linux-gnu

# Merged /usr, as Debian and Ubuntu: /lib and /bin are links into /usr.
mkdir -p "$rootfs"/{usr/bin,usr/sbin,"$libdir",lib64,etc,tmp,root,opt/java,var/tmp,models}
ln -s usr/lib "$rootfs/lib"
ln -s usr/bin "$rootfs/bin"
ln -s usr/sbin "$rootfs/sbin"
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 700 "$rootfs/root"

echo "build-base-image: jlink from $JAVA_HOME" >&2
# Every module of the JDK (the services need java.desktop for java.beans, jdk.unsupported, java.security.*
# for Kafka's SASL classes, jdk.management for the JVM metrics); small enough compressed.
"$JAVA_HOME/bin/jlink" --module-path "$JAVA_HOME/jmods" --add-modules ALL-MODULE-PATH \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output "$rootfs$java_home"
# Class data sharing archive, as the Temurin images have: faster start.
"$rootfs$java_home/bin/java" -Xshare:dump >/dev/null 2>&1 || true

# Shared libraries: what the runtime's own libraries need, except the X11, sound and splash-screen
# ones (headless servers never load them), and what the services' bundled native libraries need.
natives="$work/natives"
mkdir -p "$natives"
for jar in "$HOME/.m2/repository/org/bytedeco/openblas"/*/openblas-*-linux-x86_64.jar \
           "$HOME/.m2/repository/org/bytedeco/javacpp"/*/javacpp-*-linux-x86_64.jar \
           "$HOME/.m2/repository/org/jcuda"/*/*/*-natives-*-linux-x86_64.jar; do
    [[ -f "$jar" ]] && (cd "$natives" && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall()' "$jar")
done
skip='/(libawt_xawt|libjawt|libsplashscreen|libjsound)\.so$'
mapfile -t objects < <(find "$rootfs$java_home" "$natives" -name '*.so*' -type f | grep -Ev "$skip")
deps="$work/deps"
for object in "${objects[@]}"; do
    # Libraries a bundled native library ships itself (libgfortran next to OpenBLAS) resolve there.
    LD_LIBRARY_PATH="$(dirname "$object"):$rootfs$java_home/lib:$rootfs$java_home/lib/server" ldd "$object" 2>/dev/null \
        | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | grep -v -e "^$rootfs" -e "^$natives" | sort -u > "$deps"
# The C library's pieces that are only loaded at run time (name service switch, DNS).
for extra in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2 libdl.so.2 libpthread.so.0 librt.so.1 libutil.so.1; do
    [[ -e "/lib/x86_64-linux-gnu/$extra" ]] && echo "/lib/x86_64-linux-gnu/$extra" >> "$deps"
done
while read -r lib; do
    real="$(readlink -f "$lib")"
    base="$(basename "$lib")"
    case "$base" in
        ld-linux-x86-64.so.2)
            cp -n "$real" "$rootfs$libdir/$base"
            ln -sf "../lib/x86_64-linux-gnu/$base" "$rootfs/lib64/$base" ;;
        *)
            cp -n "$real" "$rootfs$libdir/$(basename "$real")"
            [[ "$(basename "$real")" == "$base" ]] || ln -sf "$(basename "$real")" "$rootfs$libdir/$base" ;;
    esac
done < <(sort -u "$deps")
[[ -e "$rootfs/lib64/ld-linux-x86-64.so.2" ]] || die "the dynamic loader was not found by ldd"
printf '%s\n' "$libdir" "/usr/local/lib" "$java_home/lib" "$java_home/lib/server" > "$rootfs/etc/ld.so.conf"
ldconfig -r "$rootfs" 2>/dev/null || echo "build-base-image: ldconfig -r failed; the loader's default paths apply" >&2

# busybox: sh, wget and the usual tools, for healthchecks and the model job's shell.
busybox="${BUSYBOX:-}"
if [[ -z "$busybox" ]] && command -v busybox >/dev/null && ! ldd "$(command -v busybox)" >/dev/null 2>&1; then
    busybox="$(command -v busybox)"
fi
if [[ -z "$busybox" ]]; then
    command -v apt-get >/dev/null || die "no static busybox: set BUSYBOX=/path/to/busybox"
    echo "build-base-image: fetching the Debian package busybox-static" >&2
    (cd "$work" && apt-get download busybox-static >/dev/null) || die "apt-get download busybox-static failed; set BUSYBOX"
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox-pkg"
    busybox="$work/busybox-pkg/bin/busybox"
fi
cp "$busybox" "$rootfs/usr/bin/busybox"
chmod 755 "$rootfs/usr/bin/busybox"
for applet in $("$rootfs/usr/bin/busybox" --list); do
    [[ -e "$rootfs/usr/bin/$applet" ]] || ln -s busybox "$rootfs/usr/bin/$applet"
done

cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$rootfs/etc/hosts"
cp /etc/os-release "$rootfs/etc/os-release" 2>/dev/null || true

# One layer, reproducible (sorted names, fixed owner and times), then the `docker save` layout.
image="$work/image"
mkdir -p "$image"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime='@0' -C "$rootfs" -cf "$image/layer.tar" .
python3 - "$image" "$name" "$java_home" <<'EOF'
import hashlib, json, os, sys
image, name, java_home = sys.argv[1:4]
with open(os.path.join(image, "layer.tar"), "rb") as f:
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
diff_id = "sha256:" + h.hexdigest()
config = {
    "architecture": "amd64",
    "os": "linux",
    "created": "1970-01-01T00:00:00Z",
    "config": {
        "Env": [
            "PATH=" + java_home + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "JAVA_HOME=" + java_home,
            "LANG=C.UTF-8",
        ],
        "Cmd": ["java", "-version"],
        "WorkingDir": "/",
    },
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    "history": [{"created": "1970-01-01T00:00:00Z",
                 "created_by": "scripts/build-base-image.sh: jlink runtime, its shared libraries, busybox"}],
}
raw = json.dumps(config, separators=(",", ":")).encode()
config_name = hashlib.sha256(raw).hexdigest() + ".json"
with open(os.path.join(image, config_name), "wb") as f:
    f.write(raw)
with open(os.path.join(image, "manifest.json"), "w") as f:
    json.dump([{"Config": config_name, "RepoTags": [name], "Layers": ["layer.tar"]}], f)
print(diff_id)
EOF
mkdir -p "$(dirname "$out")"
tar --numeric-owner --owner=0 --group=0 --mtime='@0' -C "$image" -cf "$out.tmp" manifest.json "$(cd "$image" && ls ./*.json | grep -v manifest | xargs -n1 basename)" layer.tar
mv "$out.tmp" "$out"
echo "build-base-image: wrote $out ($(du -h "$out" | cut -f1)), $name" >&2
