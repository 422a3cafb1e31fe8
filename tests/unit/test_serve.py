"""The launcher's copy of Streamlit's front end: plotly.js started early, everything else Streamlit's own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit import file_util

import serve


def _front_end(root: Path, chunks: tuple[str, ...] = ("PlotlyChart.Ab12.js",)) -> Path:
    (root / "static" / "js").mkdir(parents=True)
    for name in (*chunks, "index.Xy.js"):
        (root / "static" / "js" / name).write_text("// js")
    (root / "favicon.png").write_bytes(b"png")
    (root / "index.html").write_text('<html><head><script src="./static/js/index.Xy.js"></script></head><body/></html>')
    return root


def test_the_copy_adds_the_early_plotly_import_and_links_everything_else(tmp_path):
    original = _front_end(tmp_path / "streamlit")
    copy = serve.static_with_plotly_early(original, tmp_path / "cache")
    html = (copy / "index.html").read_text()
    assert html.index('rel="modulepreload" crossorigin href="./static/js/PlotlyChart.Ab12.js"') < html.index("</head>")
    assert 'import("./static/js/PlotlyChart.Ab12.js")' in html
    assert html.replace(html[html.index("    <link rel=\"modulepreload\""):html.index("  </head>")], "").replace(
        "  </head>", "</head>") == (original / "index.html").read_text()  # nothing else changed
    assert sorted(p.name for p in copy.iterdir()) == ["favicon.png", "index.html", "static"]
    assert (copy / "static" / "js" / "PlotlyChart.Ab12.js").read_text() == "// js"  # Streamlit's own files
    assert (copy / "favicon.png").resolve() == (original / "favicon.png").resolve()
    assert serve.static_with_plotly_early(original, tmp_path / "cache") == copy  # made once


@pytest.mark.parametrize("chunks", [(), ("PlotlyChart.A.js", "PlotlyChart.B.js")])
def test_a_front_end_laid_out_otherwise_is_served_as_it_is(tmp_path, chunks):
    assert serve.static_with_plotly_early(_front_end(tmp_path / "streamlit", chunks), tmp_path / "cache") is None


def test_servers_starting_at_once_share_one_copy(tmp_path):
    original = _front_end(tmp_path / "streamlit")
    copies = []
    threads = [threading.Thread(target=lambda: copies.append(
        serve.static_with_plotly_early(original, tmp_path / "cache"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(copies)) == 1 and (copies[0] / "index.html").is_file()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [copies[0].name]  # no staging folder left


def test_the_pinned_streamlit_has_the_chunk_the_copy_imports(tmp_path):
    # A Streamlit upgrade that renames or splits its Plotly chunk makes this fail here, not silently slow.
    copy = serve.static_with_plotly_early(Path(file_util.get_static_dir()), tmp_path / "cache")
    assert copy is not None
    html = (copy / "index.html").read_text()
    chunk = html.split('import("./')[1].split('")')[0]
    assert (copy / chunk).is_file() and (copy / chunk).stat().st_size > 1_000_000  # plotly.js itself
