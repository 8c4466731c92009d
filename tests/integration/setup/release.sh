#!/usr/bin/env bash
# What the release tests use: ansible-core (the Ansible role, run by ansible-playbook with a local
# connection), zsh (the zsh completion) and xmllint (the overlay's metadata.xml). Idempotent.
set -euo pipefail
missing=()
for tool in ansible-playbook:ansible-core zsh:zsh xmllint:libxml2-utils groff:groff-base man:man-db; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
