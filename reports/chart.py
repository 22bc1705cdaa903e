"""The trend chart (matplotlib SVG): one drawn for pages and print, one for phones."""
from __future__ import annotations

import io

from .tables import Report


def trend_chart_svg(report: Report, phone: bool = False) -> bytes:
    """Issued / honored / declined per week; line styles and markers differ so it reads in greyscale. A week
    with a caveat (Table 6) is marked with a dagger under its date. ``phone``: drawn 4 inches wide with 12-point
    text, so that at 390 px its text is still at least 12 px."""
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"svg.hashsalt": "detainer-report", "svg.fonttype": "none",
                                "font.family": "DejaVu Sans", "font.size": 12 if phone else 10})
    trend = report.trend.replace("[c]", float("nan"))  # a withheld week is a gap in its line
    caveats = list(report.trend["caveat"]) if "caveat" in report.trend else [""] * len(trend)
    labels = [d.strftime("%b %d") + (" †" if c else "") for d, c in zip(trend["week_end"], caveats)]
    fig, ax = plt.subplots(figsize=(4, 5.4) if phone else (8, 3.4))
    ax.plot(labels, trend["issued"], color="#1d4f91", marker="o", linewidth=2, label="Issued")
    ax.plot(labels, trend["honored"], color="#2e7d32", marker="s", linestyle="--", linewidth=2,
            label="Honored (recorded)")
    ax.plot(labels, trend["declined"], color="#8a1c1c", marker="^", linestyle=":", linewidth=2,
            label="Declined (recorded)")
    for position, caveat in enumerate(caveats):
        if caveat:
            ax.axvline(position, color="#777777", linewidth=1, linestyle=(0, (2, 2)))
    ax.set_ylabel("Per week" if phone else "Detainers per week")
    ax.set_xlabel("Week ending († caveat)" if phone else "Week ending († a caveat, see Table 6)")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelrotation=90 if phone else 45)
    if phone:
        fig.legend(frameon=False, loc="lower center", ncol=1)
        fig.tight_layout(rect=(0, 0.2, 1, 1))
    else:
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
        fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()
