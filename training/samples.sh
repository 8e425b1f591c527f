#!/usr/bin/env bash
# Prints, as markdown, what the trained model generates from one prompt per domain (two for
# reference, whose four books are unlike each other: Bierce's dictionary and Faraday's lectures), greedy and
# sampled (temperature 0.8, top-p 0.95, seed 1): each block is the prompt, then the generated
# text. MOE overrides the launcher (default ./moe).
# Usage (from the repository root): training/samples.sh [MODEL_DIR] > samples.md
set -euo pipefail
model="${1:-models/olmoe-corpus}"
moe="${MOE:-./moe}"
tokens=60
prompts=(
    "code|/*
** Return the number of"
    "government|The Congress shall have power to"
    "literature|“I am sure,” said Elizabeth, “that"
    "recipes|Take a pound of flour, and"
    "reference|GOVERNOR, n."
    "reference|Now, I must take you to a very interesting part of our subject, the"
)
for entry in "${prompts[@]}"; do
    domain="${entry%%|*}"
    prompt="${entry#*|}"
    for mode in greedy sampled; do
        options=()
        [[ "$mode" == sampled ]] && options=(--temperature 0.8 --top-p 0.95 --seed 1)
        echo "**$domain, $mode** (\`--max-new-tokens $tokens${options[*]:+ ${options[*]}}\`):"
        echo
        echo '```text'
        printf '%s' "$prompt"
        $moe generate --model "$model" --prompt "$prompt" --max-new-tokens "$tokens" "${options[@]}" 2>/dev/null
        echo
        echo '```'
        echo
    done
done
