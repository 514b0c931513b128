"""Write README.md from nbs/index.ipynb (nbdev_readme needs quarto, which this project does not install).

Markdown cells are copied as they are; visible code cells become ```python blocks; cells whose first line is a
`#|` directive containing `hide` are left out, and other `#|` directive lines are dropped.
Usage: python tools/readme.py [--check]   (--check: exit 1 if README.md differs from what would be written)
"""
import sys, json
from pathlib import Path

root = Path(__file__).resolve().parent.parent


def render(nb_path=root / "nbs" / "index.ipynb") -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]).strip("\n")
        if not src: continue
        lines = src.split("\n")
        if cell["cell_type"] == "code":
            if any(l.startswith("#|") and "hide" in l for l in lines): continue
            code = "\n".join(l for l in lines if not l.startswith("#|")).strip("\n")
            if code: parts.append("```python\n" + code + "\n```")
        else:
            parts.append(src)
    return "<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n" + \
        "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    text = render()
    out = root / "README.md"
    if "--check" in sys.argv:
        sys.exit(0 if out.exists() and out.read_text(encoding="utf-8") == text else 1)
    tmp = out.with_suffix(".md.tmp"); tmp.write_text(text, encoding="utf-8"); tmp.replace(out)
