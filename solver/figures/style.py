"""The look of the pictures: colour maps, colour bars at round values in engineering units, a
length scale in the case's unit and in lambda, the camera, and the offscreen plotter."""

import math

import numpy as np

from giantatom.figures.geometry import Mesh, open_side
from giantatom.figures.results import quiet_vtk

DEFAULT_SIZE = (1600, 1200)
PREFIXES = {-15: "f", -12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T"}


# --------------------------------------------------------------------------------------------
# Colours and numbers


def centred_cmap(vmin: float, vmax: float, name: str = "RdBu_r", n: int = 512):
    """A diverging map whose centre colour (white) sits at zero on the range [vmin, vmax], each
    side spread over its own span: a thin, strong negative layer and a weak positive interior
    are both saturated at their extremes, while the scale bar stays linear."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    base = colormaps[name]
    if vmin >= 0 or vmax <= 0:
        return base
    neg = max(8, round(n * -vmin / (vmax - vmin)))
    pos = max(8, n - neg)
    colours = np.vstack([base(np.linspace(0.0, 0.5, neg)), base(np.linspace(0.5, 1.0, pos))])
    return ListedColormap(colours, name=f"{name}_centred")


def scalar_range(values: np.ndarray, spread: float = 0.02) -> tuple[float, float]:
    """[min, max], widened to at least ``spread`` of the mean magnitude, so a nearly uniform
    field looks uniform instead of showing round-off or mesh noise as a pattern."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    half = max(half, spread * max(abs(lo), abs(hi)), 1e-300)
    return mid - half, mid + half


def engineering(largest: float, unit: str) -> tuple[float, str]:
    """(scale, unit with an SI prefix) so that ``largest / scale`` lies in [1, 1000):
    1.1e7 V/m -> (1e6, "MV/m"); the prefix goes on the unit's first symbol."""
    if not math.isfinite(largest) or largest <= 0:
        return 1.0, unit
    power = int(3 * math.floor(math.log10(largest) / 3))
    power = max(min(power, max(PREFIXES)), min(PREFIXES))
    return 10.0**power, f"{PREFIXES[power]}{unit}"


def round_ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """Round values within [lo, hi], at most ``count`` + 2 of them, 1, 2, 2.5 or 5 times a
    power of ten apart (zero among them when it is inside)."""
    span = hi - lo
    power = 10.0 ** math.floor(math.log10(span / (count + 1)))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if span / (m * power) <= count + 1)
    first = math.ceil(lo / step - 1e-9)
    ticks = np.arange(first, math.floor(hi / step + 1e-9) + 1) * step
    return np.where(np.abs(ticks) < 1e-9 * step, 0.0, ticks)


def tick_decimals(ticks: np.ndarray) -> int:
    """As many decimals as the ticks' spacing needs, and no more."""
    step = float(np.min(np.diff(ticks))) if len(ticks) > 1 else abs(float(ticks[0])) or 1.0
    return max(0, -math.floor(math.log10(step) + 1e-9))


def round_length(limit: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``limit``."""
    power = 10.0 ** math.floor(math.log10(limit))
    return max(m * power for m in (1, 2, 5) if m * power <= limit * (1 + 1e-9))


# --------------------------------------------------------------------------------------------
# The camera


def camera_axes(
    normal: int, tilt: bool, side: float = 0.55
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(towards the camera, up, right) for a view of the cut across axis ``normal``: z up (y
    for a cut across z), the camera on the open side of the cut (``open_side``), tilted up and
    by ``side`` sideways for depth."""
    up = np.eye(3)[2 if normal != 2 else 1]
    direction = open_side(normal)
    if tilt:
        direction = direction + side * np.cross(up, direction) + 0.45 * up
    direction = direction / np.linalg.norm(direction)
    right = np.cross(up, direction)
    return direction, up, right / np.linalg.norm(right)


# --------------------------------------------------------------------------------------------
# The plotter


class Picture:
    """An offscreen plotter with the project's look: white, a title, a colour bar on the right
    at round values in engineering units, and a length scale."""

    def __init__(self, size: tuple[int, int]):
        import pyvista

        quiet_vtk()
        self.size = size
        self.plotter = pyvista.Plotter(off_screen=True, window_size=list(size), border=False)
        self.plotter.set_background("white")
        self.font = max(8, round(size[1] / 60))

    def title(self, text: str, line2: str = "") -> None:
        # long titles wrap at the picture's width (a character is about 0.8 font sizes wide)
        width = max(40, int(self.size[0] / (0.9 * self.font)))
        lines = [t for line in (text, line2) if line for t in _wrap(line, width)]
        self.plotter.add_text(
            "\n".join(lines), position="upper_left", font_size=self.font, color="black"
        )

    def add(self, mesh, **kwargs) -> None:
        """add_mesh with soft lighting, so colours stay close to the colour bar's."""
        style = {"ambient": 0.45, "diffuse": 0.55, "specular": 0.0}
        if kwargs.pop("flat", False):  # a plane seen face-on: the colour bar's own colours
            style = {"lighting": False}
        self.plotter.add_mesh(mesh, **{**style, **kwargs})

    def add_scalars(
        self,
        mesh,
        values: np.ndarray,
        quantity: str,
        unit: str,
        clim: tuple[float, float],
        cmap,
        **kwargs,
    ) -> None:
        """``mesh`` coloured by ``values`` (one per point), with a colour bar titled
        ``quantity (prefixed unit)`` and labelled at round values."""
        scale, shown_unit = engineering(max(abs(clim[0]), abs(clim[1])), unit)
        mesh = mesh.copy(deep=False)
        mesh.point_data["_shown"] = np.asarray(values, dtype=float) / scale
        lo, hi = clim[0] / scale, clim[1] / scale
        self.add(
            mesh,
            scalars="_shown",
            cmap=cmap,
            clim=(lo, hi),
            scalar_bar_args=self._bar(f"{quantity} ({shown_unit})"),
            **kwargs,
        )
        self._round_labels(lo, hi)

    def _bar(self, title: str) -> dict:
        return {
            "title": title + "\n",
            "vertical": True,
            "position_x": 0.82,
            "position_y": 0.12,
            "width": 0.06,
            "height": 0.7,
            "color": "black",
            "title_font_size": self.font + 2,
            "label_font_size": self.font,
        }

    def _round_labels(self, lo: float, hi: float) -> None:
        """The colour bar's labels at round values (VTK's own are at lo, hi and between)."""
        from vtkmodules.vtkCommonCore import vtkDoubleArray

        ticks = round_ticks(lo, hi)
        labels = vtkDoubleArray()
        for value in ticks:
            labels.InsertNextValue(float(value))
        bar = self.plotter.scalar_bar
        bar.SetUseCustomLabels(True)
        bar.SetCustomLabels(labels)
        bar.SetLabelFormat(f"%.{tick_decimals(ticks)}f")

    def scale_bar(
        self,
        mesh: Mesh,
        right: np.ndarray,
        up: np.ndarray,
        unit: str,
        lam: float,
        margin: float = 0.06,
    ):
        """A bar of round length under the bodies (``margin`` of their size below their extent
        on screen), labelled in the case's unit and in lambda; after ``view``: the camera is
        fitted again to take it in."""
        import pyvista

        length = round_length(0.4 * mesh.size)
        below = 0.5 * float(mesh.extent @ np.abs(up)) + margin * mesh.size
        start = mesh.center - 0.5 * length * right - below * up
        end = start + length * right
        self.add(pyvista.Line(start, end), color="black", line_width=4)
        ticks = [
            pyvista.Line(p - 0.03 * mesh.size * up, p + 0.03 * mesh.size * up) for p in (start, end)
        ]
        for tick in ticks:
            self.add(tick, color="black", line_width=4)
        self.plotter.add_point_labels(
            [0.5 * (start + end) - 0.07 * mesh.size * up],
            [f"{length:g} {unit} = {length / lam:.4g} lambda"],
            font_size=self.font,
            text_color="black",
            shape=None,
            show_points=False,
            always_visible=True,
        )
        # frame the bodies and the bar, clear of the colour bar on the right
        self.plotter.reset_camera()
        self.plotter.camera.zoom(0.9)

    def view(
        self, mesh: Mesh, normal: int, *, tilt: bool, zoom: float = 1.0, side: float = 0.55
    ) -> tuple[np.ndarray, np.ndarray]:
        """Camera on the open side of the cut; tilted to show depth, or square for a plane.
        Returns the screen's (right, up) directions."""
        direction, up, right = camera_axes(normal, tilt, side)
        cam = self.plotter.camera
        cam.focal_point = mesh.center
        cam.position = mesh.center + 4.0 * mesh.size * direction
        cam.up = up
        if not tilt:
            cam.parallel_projection = True
        self.plotter.reset_camera()
        cam.zoom(zoom)
        return right, np.cross(direction, right)

    def legend(self, entries: list[tuple[str, str]]) -> None:
        self.plotter.add_legend(
            [[label, colour] for label, colour in entries],
            bcolor=(0.6, 0.6, 0.6),  # white, black and coloured lines show on it
            border=True,
            loc="lower left",
            size=(0.3, 0.035 * len(entries)),
            face="line",
        )


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]
