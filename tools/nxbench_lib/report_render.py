"""The report as blocks (heading, paragraph, table, image, preformatted
text), written twice: as Markdown (tables a reviewer pastes into a pull
request, images as files under img/) and as self-contained HTML (images as
base64 data URIs, so the file opens offline)."""
import base64
import datetime
import glob
import html
import os
import re
import string

from nxbench_lib import REPO_ROOT

TEMPLATES = str(REPO_ROOT / "reports" / "templates")


class Block:
    def __init__(self, kind, **kw):
        self.kind = kind
        self.__dict__.update(kw)


def H(level, text):
    return Block("h", level=level, text=text)


def P(text, cls=None):
    return Block("p", text=text, cls=cls)


def T(headers, rows, text_cols=1, text_last=0):
    """A table; the first `text_cols` and the last `text_last` columns are
    text (left-aligned), the others numbers (right-aligned). A cell is a
    string, or (string, css class) to colour it in HTML (e.g. a verdict)."""
    n = len(headers)
    return Block("table", headers=headers, rows=rows,
                 text_idx=set(range(text_cols)) | set(range(n - text_last, n)))


def IMG(name, png, alt):
    return Block("img", name=name, png=png, alt=alt)


def PRE(text):
    return Block("pre", text=text)


def _text(cell):
    return cell[0] if isinstance(cell, tuple) else str(cell)


def _md_cell(cell):
    return _text(cell).replace("|", "\\|")


def render_md(blocks, title):
    lines = ["# %s" % title, ""]
    for b in blocks:
        if b.kind == "h":
            lines += ["#" * b.level + " " + b.text, ""]
        elif b.kind == "p":
            lines += [("> **%s**" % b.text) if b.cls == "warning" else b.text, ""]
        elif b.kind == "pre":
            lines += ["```", b.text, "```", ""]
        elif b.kind == "img":
            lines += ["![%s](img/%s.png)" % (b.alt, b.name), ""]
        elif b.kind == "table":
            lines.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            lines.append("|" + "|".join(":---" if i in b.text_idx else "---:"
                                        for i in range(len(b.headers))) + "|")
            for r in b.rows:
                lines.append("| " + " | ".join(_md_cell(c) for c in r) + " |")
            lines.append("")
    return "\n".join(lines)


def _html_inline(text):
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)


def _td(i, cell, text_idx, tag="td"):
    classes = (["text"] if i in text_idx else []) + (
        [cell[1]] if isinstance(cell, tuple) and cell[1] else [])
    attr = ' class="%s"' % " ".join(classes) if classes else ""
    return "<%s%s>%s</%s>" % (tag, attr, html.escape(_text(cell)), tag)


def render_html(blocks, title):
    parts = []
    for b in blocks:
        if b.kind == "h":
            slug = re.sub(r"[^a-z0-9]+", "-", b.text.lower()).strip("-")
            parts.append('<h%d id="%s">%s</h%d>' % (b.level, slug, html.escape(b.text), b.level))
        elif b.kind == "p":
            cls = ' class="%s"' % b.cls if b.cls else ""
            parts.append("<p%s>%s</p>" % (cls, _html_inline(b.text)))
        elif b.kind == "pre":
            parts.append("<pre>%s</pre>" % html.escape(b.text))
        elif b.kind == "img":
            parts.append('<img alt="%s" src="data:image/png;base64,%s">'
                         % (html.escape(b.alt), base64.b64encode(b.png).decode("ascii")))
        elif b.kind == "table":
            head = "".join(_td(i, h, b.text_idx, "th") for i, h in enumerate(b.headers))
            body = "".join("<tr>%s</tr>" % "".join(_td(i, c, b.text_idx)
                                                   for i, c in enumerate(r)) for r in b.rows)
            parts.append("<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>"
                         % (head, body))
    with open(os.path.join(TEMPLATES, "report.html"), encoding="utf-8") as f:
        tmpl = string.Template(f.read())
    return tmpl.substitute(title=html.escape(title), body="\n".join(parts),
                           generated=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))


def _write_atomic(path, data):
    tmp = path + ".tmp"
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
        f.write(data)
    os.replace(tmp, path)


def write_report(blocks, out, title):
    """Writes img/*.png, report.md and report.html into `out`; charts of an
    earlier report that this one no longer has are removed."""
    written = set()
    for b in blocks:
        if b.kind == "img":
            _write_atomic(os.path.join(out, "img", b.name + ".png"), b.png)
            written.add(b.name + ".png")
    for old in glob.glob(os.path.join(out, "img", "*.png")):
        if os.path.basename(old) not in written:
            os.remove(old)
    md_path = os.path.join(out, "report.md")
    html_path = os.path.join(out, "report.html")
    _write_atomic(md_path, render_md(blocks, title))
    _write_atomic(html_path, render_html(blocks, title))
    return md_path, html_path
