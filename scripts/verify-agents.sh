#!/usr/bin/env bash
# Check `agentstate setup` and `agentstate mcp` against the real agent tools, not only against
# their documented formats: Claude Code, Gemini CLI and Codex from npm, in a temporary prefix and
# a temporary HOME (about 450 MB of downloads; no account needed, nothing reaches a model: the API
# keys are dummies; each agent keeps retrying the network and is stopped after 60 s, which makes
# a run take a few minutes). Not part of `npm test`.
#   scripts/verify-agents.sh                 install the latest versions and check
#   TOOLS=/some/prefix scripts/verify-agents.sh   use tools already installed under that npm prefix
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tools=${TOOLS:-$work/tools}
[ -n "${TOOLS:-}" ] || npm i --no-audit --no-fund --prefix "$tools" @anthropic-ai/claude-code @google/gemini-cli @openai/codex >/dev/null
mkdir -p "$work/bin" "$work/home/.gemini"
ln -s "$root/bin/agentstate.js" "$work/bin/agentstate"
export HOME=$work/home PATH=$work/bin:$tools/node_modules/.bin:$PATH NO_COLOR=1
ok() { echo "ok: $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

project() {
  local dir=$work/$1
  mkdir "$dir" && cd "$dir"
  git init -q -b main && git config user.name Verify && git config user.email verify@example.com
  git commit -q --allow-empty -m initial
  agentstate init >/dev/null
  agentstate decide "Verify the agent set-up" --why "formats change" >/dev/null
}

# Claude Code: the project's MCP server connects; the SessionStart hook prints the briefing.
project claude
agentstate setup claude --mcp >/dev/null
# What a person does once in the trust and approval dialogs.
echo "{\"projects\": {\"$PWD\": {\"hasTrustDialogAccepted\": true}}}" >"$HOME/.claude.json"
echo '{"enabledMcpjsonServers": ["agentstate"]}' >.claude/settings.local.json
echo "Claude Code $(claude --version)"
grep -q 'agentstate: .* Connected' <<<"$(claude mcp list 2>&1)" && ok "claude mcp list: agentstate connected" || fail "claude mcp list"
out=$(ANTHROPIC_API_KEY=dummy timeout 60 claude -p hi --output-format stream-json --verbose --include-hook-events </dev/null 2>&1 || true)
grep -q '"hook_event":"SessionStart".*Verify the agent set-up' <<<"$out" && ok "Claude Code SessionStart hook: briefing" || fail "Claude Code hook"
grep -q '"subtype":"init".*mcp__agentstate__decide' <<<"$out" && ok "Claude Code session: agentstate tools" || fail "Claude Code tools"

# Gemini CLI: AGENTS.md read as context, the hook's JSON answer injected, the MCP server connects.
project gemini
agentstate setup gemini --mcp >/dev/null
echo "{\"$PWD\": \"TRUST_FOLDER\"}" >"$HOME/.gemini/trustedFolders.json"
echo "Gemini CLI $(gemini --version)"
grep -q 'agentstate: .* Connected' <<<"$(gemini mcp list 2>&1)" && ok "gemini mcp list: agentstate connected" || fail "gemini mcp list"
out=$(GEMINI_API_KEY=dummy timeout 60 gemini -p hi -o stream-json --debug </dev/null 2>&1 || true)
grep -q 'MemoryDiscovery.*AGENTS.md' <<<"$out" && ok "Gemini CLI reads AGENTS.md" || fail "Gemini context file"
grep -q '<hook_context># Resume' <<<"$out" && ok "Gemini CLI SessionStart hook: briefing as context" || fail "Gemini hook"

# Codex: set-up finds the hooks feature; AGENTS.md is in the model's prompt.
project codex
codex --version 2>/dev/null
grep -q 'wrote .codex/hooks.json' <<<"$(agentstate setup codex)" && ok "setup codex: hooks found, .codex/hooks.json written" || fail "setup codex"
grep -q 'Verify the agent set-up' <<<"$(codex debug prompt-input 2>/dev/null)" && ok "Codex prompt holds the AGENTS.md block" || fail "Codex AGENTS.md"
echo "all checks passed"
