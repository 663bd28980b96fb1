"""Pictures of a run (issue 4): PNGs from the run and from `giantatom plot`, the HTML view in
a headless browser, and the magnetic/spin figures on synthetic fields."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from giantatom import exact, figures
from giantatom.case import parse_case
from giantatom.cli import main
from giantatom.errors import CaseError, FigureError
from giantatom.figures import charges, html, magnetics, style
from support import giantatom

pyvista = pytest.importorskip("pyvista")
Image = pytest.importorskip("PIL.Image")

SMALL = (640, 480)


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB")).astype(int)


def assert_not_blank(path: Path, size: tuple[int, int], least: float = 0.05) -> np.ndarray:
    """A PNG of ``size`` with at least ``least`` of its pixels drawn on the white ground."""
    rgb = pixels(path)
    assert rgb.shape == (size[1], size[0], 3), path
    drawn = (rgb < 235).any(axis=2).mean()
    assert drawn > least, f"{path.name}: only {drawn:.1%} of the pixels drawn"
    assert rgb.std() > 20, f"{path.name} is nearly uniform"
    return rgb


def signs(rgb: np.ndarray) -> tuple[float, float]:
    """Fractions of clearly red (rho > 0) and clearly blue (rho < 0) pixels of the diverging
    map, in the picture area (the scale bar, on the right, and the title left out)."""
    h, w, _ = rgb.shape
    area = rgb[int(0.12 * h) :, : int(0.8 * w)]
    r, b = area[..., 0], area[..., 2]
    return float((r - b > 60).mean()), float((b - r > 60).mean())


# ---- case file -------------------------------------------------------------------------


def case_text(output: str) -> str:
    return f"""
[material]
lambda = "40 nm"
[[geometry.body]]
shape = "sphere"
radius = 200
[output]
{output}
"""


def test_case_figures_key(tmp_path):
    case = parse_case(case_text(""), tmp_path / "c.toml")
    assert case.output.figures is None  # all that apply
    assert case.output.figure_size == (1600, 1200)
    case = parse_case(case_text('figures = ["charge", "view"]\nfigure_size = [800, 600]'), tmp_path)
    assert case.output.figures == ("charge", "view")
    assert case.output.figure_size == (800, 600)
    assert parse_case(case_text("figures = []"), tmp_path).output.figures == ()
    for bad, key in [
        ('figures = ["charge", "movie"]', "output.figures"),
        ('figures = "charge"', "output.figures"),
        ("figure_size = [800]", "output.figure_size"),
        ("figure_size = [10, 10]", "output.figure_size"),
    ]:
        with pytest.raises(CaseError) as err:
            parse_case(case_text(bad), tmp_path / "c.toml")
        assert err.value.key == key


# ---- the exact curve of the probe plot -------------------------------------------------


def test_exact_sphere_matches_physics_md():
    lam, rho0 = 40e-9, 1.0
    radius = 10 * lam
    x = 10.0
    rho, e_r = exact.neutral_sphere(np.array([radius, 1e-3 * lam]), radius, lam, rho0)
    # rho(R) = rho0 [1 - x^2 / (3 (x coth x - 1))] = -2.70 rho0 at R = 10 lambda
    assert rho[0] == pytest.approx(exact.surface_ratio(x), rel=1e-12)
    assert rho[0] == pytest.approx(-2.70, abs=0.005)
    # Gauss: neutral, so no field at the surface; near the centre E = rho(0) r / (3 eps0)
    eps0 = 8.8541878128e-12
    assert abs(e_r[0]) < 1e-9 * rho0 * radius / eps0
    assert e_r[1] == pytest.approx(rho[1] * 1e-3 * lam / (3 * eps0), rel=1e-4)
    # no overflow for a large sphere
    rho, e_r = exact.neutral_sphere(np.linspace(0, 800 * lam, 50), 800 * lam, lam, rho0)
    assert np.isfinite(rho).all() and np.isfinite(e_r).all()


# ---- figures of a real run --------------------------------------------------------------


def test_run_leaves_figures(solved_sphere):
    folder = solved_sphere / "figures"
    size = (1600, 1200)  # the default [output] figure_size
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        ["charge.png", "field.png", "surface.png", "spin.png", "profile_radial.png", "view.html"]
    ), names
    for name in names:
        if name.endswith(".png"):  # the probe plot is lines on white
            assert_not_blank(folder / name, size, 0.01 if name.startswith("profile") else 0.05)
    log = (solved_sphere / "log.txt").read_text()
    assert "figures: charge.png (1600x1200" in log
    # the charge figure shows both signs: the expelled negative layer and the positive interior
    red, blue = signs(pixels(folder / "charge.png"))
    assert red > 0.03 and blue > 0.03, (red, blue)


def test_requested_size_and_both_signs(solved_sphere, tmp_path):
    written = figures.render_figures(solved_sphere, ["charge", "field", "profile"], tmp_path, SMALL)
    assert [p.name for p in written] == ["charge.png", "field.png", "profile_radial.png"]
    for path in written:
        assert_not_blank(path, SMALL, 0.01 if path.name.startswith("profile") else 0.05)
    red, blue = signs(pixels(tmp_path / "charge.png"))
    assert red > 0.03 and blue > 0.03, (red, blue)
    # a cut across z shows the same physics
    path = tmp_path / "z.png"
    results = figures.load_results(solved_sphere)
    figures.draw(results, "charge", path, SMALL, "z")
    red, blue = signs(pixels(path))
    assert red > 0.03 and blue > 0.03, (red, blue)


def test_field_picture_draws_the_magnitude_of_the_components(solved_sphere):
    """The cut plane of field.png carries |E| computed from the sliced components, on
    triangles split until what a renderer draws (the magnitudes interpolated across each
    triangle) is the magnitude of the interpolated E to 0.2 % of max |E|. At the centre, where
    E = 0, the nodal |E| sliced as before drew 15 % of max |E|."""
    results = figures.load_results(solved_sphere)
    normal = 1
    plane = figures.magnitude_plane(results.mesh, normal, "E")
    E = np.asarray(plane.point_data["E"])
    magnitude = np.asarray(plane.point_data["_magnitude"])
    assert np.array_equal(magnitude, np.linalg.norm(E, axis=1))
    largest = magnitude.max()
    triangles = np.asarray(plane.regular_faces)
    assert figures.magnitude_error(E, triangles).max() <= figures.MAGNITUDE_TOLERANCE * largest
    # the triangles drawn at the centre: barycentric coordinates in the plane
    keep = [i for i in range(3) if i != normal]
    a, b, c = (np.asarray(plane.points)[triangles[:, k]][:, keep] for k in range(3))
    p = results.mesh.center[keep]
    det = (b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0]
    s = ((p - a)[:, 0] * (c - a)[:, 1] - (p - a)[:, 1] * (c - a)[:, 0]) / det
    t = ((b - a)[:, 0] * (p - a)[:, 1] - (b - a)[:, 1] * (p - a)[:, 0]) / det
    at_centre = (s >= -1e-9) & (t >= -1e-9) & (s + t <= 1 + 1e-9)
    assert at_centre.any()
    assert magnitude[triangles[at_centre]].max() < 0.01 * largest


def test_view_sends_vector_components(solved_sphere):
    """view.html gets the components of E and the spin velocities (the browser takes their
    magnitude at every pixel), scalars as they are; the vacuum part carries E and phi."""
    results = figures.load_results(solved_sphere)
    body = html.part(results.mesh.body, ["rho", "E", "v_up"], coarse=False, surface=True)
    vacuum = html.part(html.vacuum_grid(results), ["E", "phi"], coarse=False, surface=False)
    assert body.fields["E"].shape == (len(body.points), 3)
    assert body.fields["rho"].shape == (len(body.points),)
    fields = {info["name"]: info for info in html.view_fields(body, vacuum)}
    assert fields["E"]["components"] == 3 and fields["E"]["min"] == 0.0 and fields["E"]["vacuum"]
    largest = max(np.linalg.norm(p.fields["E"], axis=1).max() for p in (body, vacuum))
    assert fields["E"]["max"] == pytest.approx(largest, rel=1e-6)
    assert fields["v_up"]["components"] == 3 and not fields["v_up"]["vacuum"]
    assert fields["rho"]["components"] == 1
    # the boundary of the bodies' tetrahedra is their surface: closed (each edge in two faces)
    edges = np.sort(body.surface[:, [[0, 1], [1, 2], [2, 0]]].reshape(-1, 2), axis=1)
    assert (np.unique(edges, axis=0, return_counts=True)[1] == 2).all()


def fake_modules(directory: Path) -> Path:
    """Stand-ins for dolfinx and mpi4py that fail on import: `plot` must not need them."""
    for name in ("dolfinx", "mpi4py", "dolfinx_solver", "petsc4py"):
        (directory / name).mkdir(parents=True)
        (directory / name / "__init__.py").write_text(
            f"raise ImportError('{name} is not available here')\n"
        )
    return directory


def test_plot_gives_the_same_picture(solved_sphere, tmp_path):
    """`giantatom plot` on a copy of the results directory, with no DOLFINx and no MPI
    importable, redraws the run's pictures pixel for pixel."""
    copy = tmp_path / "laptop" / "results"
    shutil.copytree(solved_sphere, copy, ignore=shutil.ignore_patterns("figures"))
    env_path = fake_modules(tmp_path / "fake")
    proc = giantatom("plot", str(copy), env={"PYTHONPATH": str(env_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("charge.png", "field.png", "surface.png", "profile_radial.png"):
        ran, replotted = pixels(solved_sphere / "figures" / name), pixels(copy / "figures" / name)
        assert ran.shape == replotted.shape
        assert np.array_equal(ran, replotted), name
    assert (copy / "figures" / "view.html").stat().st_size > 10_000
    # one figure, another cut, another file
    out = tmp_path / "rho_x.png"
    proc = giantatom(
        "plot", str(copy), "--field", "rho", "--clip", "x", "--size", "400x300", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_not_blank(out, (400, 300))


def test_settings_without_a_valid_case_copy(solved_sphere, tmp_path):
    """A case.toml that does not validate where the results now are (a CAD body's relative
    path) still gives lambda's text and the figure size; no exact sphere curve then."""
    copy = tmp_path / "results"
    shutil.copytree(solved_sphere, copy, ignore=shutil.ignore_patterns("figures", "fields*"))
    text = (copy / "case.toml").read_text()
    text = text.replace('shape = "sphere"', 'shape = "file"\npath = "cad/gone.step"')
    (copy / "case.toml").write_text(text + "\n[output]\nfigure_size = [320, 240]\n")
    results = figures.load_results(copy)
    assert results.case is None
    assert results.lambda_text == "1 um"
    assert figures.figure_settings(results) == (None, (320, 240))
    assert results.available() == ["profile"]  # no fields.pvtu in this copy
    (path,) = figures.render_figures(copy, folder=tmp_path / "pictures")
    assert_not_blank(path, (320, 240), 0.01)


def test_plot_fails_loudly(solved_sphere, tmp_path):
    proc = giantatom("plot", str(tmp_path / "nothing"))
    assert proc.returncode == 5
    assert proc.stderr.strip().count("\n") == 0 and "not a directory" in proc.stderr
    proc = giantatom("plot", str(solved_sphere), "--field", "B", "--out", str(tmp_path / "b.png"))
    assert proc.returncode == 5
    assert "no B field" in proc.stderr and "Traceback" not in proc.stderr
    # a damaged fields.pvtu: plot fails with one line, a run's figures only warn
    broken = tmp_path / "broken"
    shutil.copytree(solved_sphere, broken, ignore=shutil.ignore_patterns("figures"))
    piece = broken / "fields" / "part0.vtu"
    piece.write_bytes(piece.read_bytes()[:5000])
    proc = giantatom("plot", str(broken), "--field", "rho", "--out", str(tmp_path / "r.png"))
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert proc.stderr.startswith("giantatom: error:") and "Traceback" not in proc.stderr
    written = figures.run_figures(broken, None, SMALL)  # does not raise
    assert [p.name for p in written] == ["profile_radial.png"]


# ---- the HTML view in a headless browser ------------------------------------------------


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


def browse(html: Path, tmp_path: Path, size=(1000, 750), hash: str = "") -> tuple[np.ndarray, str]:
    """Screenshot and final DOM of a page in headless Chromium, without network."""
    browser = chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    common = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'chromium'}",
        f"--window-size={size[0]},{size[1]}",
        "--virtual-time-budget=30000",
    ]
    shot = tmp_path / f"view{hash}.png"
    url = html.resolve().as_uri() + (f"#{hash}" if hash else "")
    subprocess.run([*common, f"--screenshot={shot}", url], capture_output=True, timeout=180)
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=180)
    assert shot.is_file(), "Chromium wrote no screenshot"
    return pixels(shot), dom.stdout


def test_html_view_renders_in_chromium(solved_sphere, tmp_path):
    html = solved_sphere / "figures" / "view.html"
    assert "<script" in html.read_text()[:20000] and "http" not in html.read_text()[-2000:]
    rgb, dom = browse(html, tmp_path)
    assert 'data-state="ready"' in dom, dom[-500:]
    # the canvas (the middle of the page, away from the panels) shows the cut-open body in
    # both colours of the rho map
    h, w, _ = rgb.shape
    middle = rgb[int(0.2 * h) : int(0.85 * h), int(0.25 * w) : int(0.75 * w)]
    drawn = (middle < 235).any(axis=2).mean()
    assert drawn > 0.3, drawn
    r, b = middle[..., 0], middle[..., 2]
    assert (r - b > 60).mean() > 0.03 and (b - r > 60).mean() > 0.03
    # field toggle and clip from the address: |E| (a yellow-red map, no blue), uncut; then rho
    # cut across z near the top, flipped: only the top cap is left
    rgb, dom = browse(html, tmp_path, hash="field=E&clip=off")
    assert 'data-state="ready"' in dom
    middle = rgb[int(0.2 * h) : int(0.85 * h), int(0.25 * w) : int(0.75 * w)]
    assert (middle < 235).any(axis=2).mean() > 0.3
    assert (middle[..., 2] - middle[..., 0] > 60).mean() < 0.001  # no blue
    cut, _ = browse(html, tmp_path, hash="field=rho&clip=z&pos=0.9&flip=1")
    assert np.abs(cut - rgb).mean() > 5  # another picture
    # |E| on the cut through the centre (the middle of the page), where E = 0: the bottom of
    # the YlOrRd map, blue/red 0.8 (0.77 measured, whatever the shading; 0.60, |E| at 13 % of
    # its maximum, when the view interpolated nodal magnitudes instead of the components)
    rgb, _ = browse(html, tmp_path, hash="field=E&clip=y&pos=0")
    centre = rgb[h // 2 - 2 : h // 2 + 3, w // 2 - 2 : w // 2 + 3].reshape(-1, 3).mean(axis=0)
    assert centre[2] / centre[0] > 0.74, centre
    # the README's example: the camera faces the cut face, which shows the interior's strong
    # |E| (dark red; the outside of the cap, |E| ~ 0 at a neutral sphere's surface, is pale)
    rgb, dom = browse(html, tmp_path, hash="field=E&clip=z&pos=0.3&flip=1")
    middle = rgb[int(0.2 * h) : int(0.85 * h), int(0.25 * w) : int(0.75 * w)]
    assert ((middle[..., 0] > 120) & (middle[..., 1] < 90) & (middle[..., 2] < 90)).mean() > 0.1
    # the colour bar: the unit with its prefix, ticks at round values
    assert '<div id="bartitle">|E| (kV/m)</div>' in dom, dom[-3000:]
    assert re.search(r'<div id="ticks"><span[^>]*>0</span><span[^>]*>5</span>', dom)
    # vacuum and arrows on, a setting the page does not know reported in the panel
    rgb, dom = browse(html, tmp_path, hash="field=E&clip=y&vacuum=1&arrows=1&colour=red")
    assert 'data-state="ready"' in dom
    assert 'unknown setting "colour"' in dom.replace("&quot;", '"')
    assert (rgb.max(axis=2) < 60).mean() > 0.002  # black arrows


def test_html_view_size(solved_sphere):
    """view.html stays small (16-bit data, one tetrahedron per quadratic cell for a large
    mesh): 0.56 MB here, 2.6 MB for cases/sphere.toml (measured)."""
    assert (solved_sphere / "figures" / "view.html").stat().st_size < 1_000_000


# ---- magnetic and spin figures on synthetic fields --------------------------------------


def add_fields(results: Path, make) -> None:
    """Add point fields to a results directory's fields.pvtu (one piece, as a 1-rank run)."""
    piece = results / "fields" / "part0.vtu"
    grid = pyvista.read(piece)
    new = make(grid)
    for name, values in new.items():
        grid.point_data[name] = values
    grid.save(piece, binary=True)
    index = results / "fields.pvtu"
    entries = "".join(
        f'      <PDataArray type="Float64" Name="{n}" NumberOfComponents="{np.shape(v)[1]}"/>\n'
        if np.ndim(v) == 2
        else f'      <PDataArray type="Float64" Name="{n}"/>\n'
        for n, v in new.items()
    )
    index.write_text(index.read_text().replace("    </PPointData>", entries + "    </PPointData>"))


def london_like(grid, radius=4.0, lam=1.0, b0=1e-4, v0=29.0) -> dict:
    """A field-cooled-looking sphere: B of a perfect diamagnet outside (applied along z), a
    Meissner layer of J, and the two spin currents circulating in opposite senses."""
    x = np.asarray(grid.points)
    r = np.maximum(np.linalg.norm(x, axis=1), 1e-9)
    rhat = x / r[:, None]
    z = np.array([0.0, 0.0, 1.0])
    inside = (np.asarray(grid.point_data["region"]) > 0.5)[:, None]
    m = -0.5 * radius**3 * b0 * z
    outside_B = b0 * z + (3 * (rhat @ m)[:, None] * rhat - m) / r[:, None] ** 3
    layer = np.exp(-(radius - r) / lam)[:, None]
    azimuth = np.cross(z, rhat)
    v = np.where(inside, v0 * azimuth * layer, 0.0)
    speed = np.linalg.norm(v, axis=1)
    return {
        "B": np.where(inside, b0 * z * layer, outside_B),
        "J": np.where(inside, 1e3 * azimuth * layer, 0.0),
        "v_up": v,
        "v_down": -v,
        # the stop field on the surface region, undefined where the speed is near zero
        "B_stop": np.where(speed > 0.2 * v0, 0.05 * (1.0 + np.abs(x[:, 2]) / r), np.nan),
    }


@pytest.fixture(scope="module")
def synthetic(solved_sphere, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("synthetic") / "results"
    shutil.copytree(solved_sphere, copy, ignore=shutil.ignore_patterns("figures"))
    add_fields(copy, london_like)
    return copy


def test_magnetic_and_spin_figures(synthetic, tmp_path):
    results = figures.load_results(synthetic)
    assert {"magnetic", "current", "spin"} <= set(results.available())
    written = figures.render_figures(
        synthetic, ["magnetic", "current", "spin", "view"], tmp_path, SMALL
    )
    assert [p.name for p in written] == [
        "magnetic.png", "current.png", "spin.png", "spin_stop.png", "view.html"
    ]  # fmt: skip
    magnetic = assert_not_blank(tmp_path / "magnetic.png", SMALL)
    assert_not_blank(tmp_path / "current.png", SMALL)
    spin = assert_not_blank(tmp_path / "spin.png", SMALL)
    assert_not_blank(tmp_path / "spin_stop.png", SMALL)
    # |B| on the cut containing the field: the screened body dark (viridis' bottom) amid the
    # applied field, white field lines on both sides of the body
    h, w, _ = magnetic.shape
    centre = magnetic[h // 2 - 3 : h // 2 + 4, int(0.4 * w) : int(0.42 * w)].reshape(-1, 3)
    assert (np.median(centre, axis=0) < [100, 90, 150]).all(), np.median(centre, axis=0)
    band = magnetic[int(0.15 * h) : int(0.85 * h), int(0.2 * w) : int(0.3 * w)]
    assert (band.min(axis=2) > 235).mean() > 0.005  # white lines on the coloured plane
    # the two spins in two colours: red arrows left, blue arrows right
    left, right = spin[:, : w // 2], spin[:, w // 2 : int(0.8 * w)]

    def arrows(part, c):
        return ((part[..., c] > 180) & (part.sum(axis=2) - part[..., c] < 120)).mean()

    assert arrows(left, 0) > 0.001 and arrows(right, 2) > 0.001
    assert arrows(left, 2) < arrows(left, 0) and arrows(right, 0) < arrows(right, 2)
    # the view offers the new fields
    html = (tmp_path / "view.html").read_text()
    for label in ("|B|", "|J|", "|v_up|", "|v_down|"):
        assert f'"label": "{label}"' in html


def test_magnetic_cut_contains_the_field(synthetic, tmp_path):
    """B along z: `--clip z` would cut across the field (one stray line); the figure cuts
    across another axis instead and says so. Without an applied field: one line, exit 5."""
    results = figures.load_results(synthetic)
    mesh = results.mesh
    assert magnetics.field_cut(mesh, np.array([0.0, 0.0, 1.0]), "z")[0] in (0, 1)
    assert magnetics.field_cut(mesh, np.array([0.0, 0.0, 1.0]), "x") == (0, "")
    out = tmp_path / "b.png"
    assert main(["plot", str(synthetic), "--field", "B", "--clip", "z", "--out", str(out)]) == 0
    assert_not_blank(out, (1600, 1200))
    calm = tmp_path / "calm"
    shutil.copytree(synthetic, calm)
    add_fields(calm, lambda grid: {"B": np.zeros((grid.n_points, 3))})
    proc = giantatom("plot", str(calm), "--field", "B", "--out", str(tmp_path / "c.png"))
    assert proc.returncode == 5 and proc.stderr.count("\n") == 1, proc.stderr
    assert "no applied field" in proc.stderr and not (tmp_path / "c.png").exists()


class InMemory:
    """What ``giantatom.solve`` returns, as far as the figures use it, built from a results
    directory's files."""

    class Summary(dict):
        def to_dict(self) -> dict:
            return dict(self)

    def __init__(self, directory: Path):
        self.summary = self.Summary(json.loads((directory / "summary.json").read_text()))
        self.case = parse_case((directory / "case.toml").read_text(), directory / "case.toml")
        self.path = None
        self.probes = {}
        for probe in directory.glob("probe_*.csv"):
            data = np.genfromtxt(probe, delimiter=",", names=True)
            self.probes[probe.stem.removeprefix("probe_")] = {n: data[n] for n in data.dtype.names}
        self._grid = pyvista.read(directory / "fields.pvtu")

    def grid(self):
        return self._grid

    def surface(self):
        return None


def test_pictures_from_memory(synthetic, tmp_path):
    """Every picture from in-memory results, as a Plotter or a Figure, is the one drawn from
    the directory."""
    memory = InMemory(synthetic)
    for name in ("charge", "field", "surface", "magnetic", "current", "spin"):
        plotter = getattr(figures, name)(memory, size=SMALL)
        assert isinstance(plotter, pyvista.Plotter)
        plotter.screenshot(str(tmp_path / f"{name}.png"))
        plotter.close()
        from_disk = getattr(figures, name)(synthetic, size=SMALL)
        from_disk.screenshot(str(tmp_path / f"{name}_disk.png"))
        from_disk.close()
        assert np.array_equal(
            pixels(tmp_path / f"{name}.png"), pixels(tmp_path / f"{name}_disk.png")
        ), name
    assert isinstance(figures.stop_field(memory, size=SMALL), pyvista.Plotter)
    figure = figures.profile(memory, probe="radial")
    assert figure.axes and figure.axes[0].get_ylabel() == "rho (mC/m^3)"
    # on Axes of one's own
    from matplotlib.figure import Figure

    own = Figure()
    axes = own.subplots(2, 1)
    assert figures.profile(memory, ax=axes) is own
    assert axes[1].get_ylabel() == "|E| (kV/m)"
    # files from memory need a folder; a path that is not a results directory says what it is
    with pytest.raises(FigureError, match="give the folder"):
        figures.render_figures(memory, ["charge"])
    written = figures.render_figures(memory, ["charge", "view"], tmp_path / "m", SMALL)
    assert [p.name for p in written] == ["charge.png", "view.html"]


def test_plot_explains_a_sweep_directory(solved_sphere, tmp_path):
    for member in ("r=1", "r=2"):
        shutil.copytree(solved_sphere, tmp_path / member, ignore=shutil.ignore_patterns("fi*"))
    (tmp_path / "sweep.csv").write_text("r\n1\n2\n")
    with pytest.raises(FigureError) as err:
        figures.load_results(tmp_path)
    assert "holds 2 results directories and sweep.csv" in str(err.value)
    assert "r=1, r=2" in str(err.value)


def test_several_bodies_name_their_rho0():
    results = figures.Results(
        summary={
            "geometry": {"unit": "nm", "bodies": ["sphere", "cube"]},
            "material": {"lambda_m": 4e-8},
            "charge": {"rho0_C_m3": [13965.8, 20247.9]},
        },
        case=None,
    )
    assert charges.rho0_text(results) == "rho0 = 1.397e+04 (sphere), 2.025e+04 (cube)"


def test_colour_bar_numbers():
    assert style.engineering(1.1e7, "V/m") == (1e6, "MV/m")
    assert style.engineering(749.0, "C/m^3") == (1.0, "C/m^3")
    assert style.engineering(2e-3, "T") == (1e-3, "mT")
    assert list(style.round_ticks(-1.78, 0.749)) == [-1.5, -1.0, -0.5, 0.0, 0.5]
    ticks = style.round_ticks(1.4799, 1.4803)
    assert len(ticks) >= 3 and style.tick_decimals(ticks) == 4


def test_plot_field_choices_on_synthetic(synthetic, tmp_path):
    """Every --field choice draws its figure (in-process: the CLI itself is tested above)."""
    for field, name in figures.FIELD_FIGURES.items():
        out = tmp_path / f"{name}.png"
        args = ["plot", str(synthetic), "--field", field, "--size", "320x240", "--out", str(out)]
        assert main(args) == 0, field
        assert_not_blank(out, (320, 240))
    assert_not_blank(tmp_path / "spin_stop.png", (320, 240))  # the B_stop map beside spin.png
