#!/usr/bin/env bash
# Install Debian's Bioconductor annotation databases that scripts/build_genesets.py reads:
# r-bioc-org.hs.eg.db (genes, symbols, aliases, Ensembl ids, GO annotations) and r-bioc-go.db
# (GO term names). Both are plain SQLite files; no R session is needed. Idempotent: packages
# already installed are left alone. Needed only to rebuild resources/genesets/ and
# resources/genes/; the workflow itself reads the committed files.
set -euo pipefail

PACKAGES=(r-bioc-org.hs.eg.db r-bioc-go.db)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]})); then
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    # wait for another apt/dpkg run to finish instead of failing on its lock
    LOCK=(-o DPkg::Lock::Timeout=900)
    $SUDO apt-get "${LOCK[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${LOCK[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi

for pkg in "${PACKAGES[@]}"; do
    printf '%s\t%s\n' "$pkg" "$(dpkg-query -W -f='${Version}' "$pkg")"
done
dpkg -L "${PACKAGES[@]}" | grep -E '\.sqlite$'
