"""Write a notebook from a percent-format script (authoring aid; the notebook is the source of truth).

Usage: python tools/pct2nb.py SCRIPT.py nbs/NN_name.ipynb

Cells start with a line `# %%` (code) or `# %% [markdown]` (markdown; each line's leading `# ` is removed).
"""
import sys, nbformat


def convert(text: str) -> nbformat.NotebookNode:
    cells, kind, buf = [], None, []

    def flush():
        if kind is None: return
        src = "\n".join(buf).strip("\n")
        if not src: return
        if kind == "markdown":
            src = "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#") for l in src.split("\n"))
            cells.append(nbformat.v4.new_markdown_cell(src))
        else:
            cells.append(nbformat.v4.new_code_cell(src))

    for line in text.split("\n"):
        if line.startswith("# %%"):
            flush()
            kind, buf = ("markdown" if "[markdown]" in line else "code"), []
        else:
            buf.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}
    return nb


if __name__ == "__main__":
    src, dst = sys.argv[1], sys.argv[2]
    nbformat.write(convert(open(src, encoding="utf-8").read()), dst)
