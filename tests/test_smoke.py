from conftest import run_digest


def test_version(tmp_path):
    result = run_digest("--version", cwd=tmp_path, check=True)
    assert result.stdout.startswith("digest ")


def test_build_shipped_site(site):
    result = run_digest("build", "--no-search", cwd=site, check=True)
    assert (site / "output" / "index.html").is_file()
    assert "Built" in result.stdout
