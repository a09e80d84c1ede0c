#!/usr/bin/env python3
"""summarize: turns one scripts/bench result folder (meridian-bench JSON files named
SERVER-WORKLOAD.json) into summary.csv, summary.txt (the table scripts/bench prints)
and a plot of throughput and p99 per workload and server: plot.png through gnuplot,
or plot.svg written here when gnuplot is missing (--plot svg). A scale run (its own
JSON shape) and the servers' RSS trends of long runs are printed under the table.

    bench/summarize.py DIR [--plot png|svg] [--workloads put,get]
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys

SERVER_ORDER = ["meridian", "dynalite", "moto", "ddblocal"]
COLORS = {"meridian": "#1f77b4", "dynalite": "#ff7f0e", "moto": "#2ca02c", "ddblocal": "#d62728"}


def load(folder):
    runs = []
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        if r.get("tool") == "meridian-bench":
            runs.append(r)
    return runs


def fmt_ms(us):
    return "-" if us is None else "%.2f" % (us / 1000.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--plot", choices=["png", "svg", "none"], default="svg")
    ap.add_argument("--workloads", default="")
    args = ap.parse_args()
    runs = load(args.folder)
    ceilings = [r for r in runs if r["server"] == "ceiling"]
    ceiling = max(ceilings, key=lambda r: r["throughput_rps"]) if ceilings else None
    ceiling_rps = ceiling["throughput_rps"] if ceiling else 0.0
    scale_runs = [r for r in runs if r.get("workload") == "scale"]
    table = [r for r in runs if r["server"] != "ceiling" and r.get("workload") != "scale"]
    order = [w for w in args.workloads.split(",") if w and w != "scale"] or sorted({r["workload"] for r in table})
    servers = [s for s in SERVER_ORDER if any(r["server"] == s for r in table)]
    servers += sorted({r["server"] for r in table} - set(servers))
    groups = {}
    for r in table:
        groups.setdefault((r["server"], r["workload"]), []).append(r)

    def best(rs):   # the best of repeated runs: the least disturbed by other load
        return max(rs, key=lambda r: (r.get("ok_run", True) and r["ok"] > 0, r["throughput_rps"]))

    by = {k: best(v) for k, v in groups.items()}
    repeated = any(len(v) > 1 for v in groups.values())

    rows = []
    for w in order:
        base = by.get(("meridian", w))
        for s in servers:
            r = by.get((s, w))
            if not r:
                continue
            lat = r["latency_us"]
            ok = r.get("ok_run", True) and r["ok"] > 0
            rps = r["throughput_rps"] if ok else 0.0
            ratio = ""
            p99_ratio = ""
            if base and base["ok"] > 0 and ok and s != "meridian" and w != "replication-lag":
                ratio = "%.2f" % (base["throughput_rps"] / rps) if rps else ""
                if base["latency_us"]["p99"]:
                    p99_ratio = "%.2f" % (lat["p99"] / base["latency_us"]["p99"])
            errs = r["errors_by_type"]
            top = ", ".join("%s=%d" % (k, v) for k, v in sorted(errs.items(), key=lambda kv: -kv[1])[:2])
            if not r.get("ok_run", True):
                top = "FAILED: " + r.get("setup_error", "")[:60]
            rows.append({
                "workload": w, "server": s, "throughput_rps": round(rps, 1),
                "items_per_s": round(r.get("items_per_s", 0.0), 1),
                "p50_ms": lat["p50"] / 1000.0 if ok else None, "p90_ms": lat["p90"] / 1000.0 if ok else None,
                "p99_ms": lat["p99"] / 1000.0 if ok else None, "p999_ms": lat["p999"] / 1000.0 if ok else None,
                "runs": len(groups[(s, w)]),
                "median_rps": round(sorted(x["throughput_rps"] for x in groups[(s, w)])[len(groups[(s, w)]) // 2], 1),
                "requests": r["requests"], "ok": r["ok"], "errors": r["errors"], "error_types": top,
                "duration_s": r["measured_s"], "connections": r["connections"],
                "fraction_of_ceiling": round(rps / ceiling_rps, 4) if ceiling_rps else "",
                "meridian_over_server_rps": ratio, "server_p99_over_meridian_p99": p99_ratio,
                "server_cpu_pct": round(100 * r["server_cpu_s"] / r["measured_s"]) if "server_cpu_s" in r and r["measured_s"] else "",
                "server_cpu_us_per_req": round(1e6 * r["server_cpu_s"] / r["ok"], 1) if "server_cpu_s" in r and r["ok"] else "",
                "client_cpu_pct": round(100 * r.get("client_cpu_s", 0) / r["measured_s"]) if r["measured_s"] else "",
                "loadavg_1m": r.get("loadavg_1m", ""),
                "server_rss_max_mb": round(r["server_memory"]["total_max_kb"] / 1024.0, 1)
                if r.get("server_memory", {}).get("total_max_kb", -1) >= 0 else "",
                "lag_p50_ms": r.get("replication_lag_us", {}).get("p50", 0) / 1000.0 if "replication_lag_us" in r else "",
                "lag_p99_ms": r.get("replication_lag_us", {}).get("p99", 0) / 1000.0 if "replication_lag_us" in r else "",
            })

    with open(os.path.join(args.folder, "summary.csv"), "w", newline="") as f:
        fields = list(rows[0].keys()) if rows else ["workload", "server"]
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if v is None else v) for k, v in row.items()})

    lines = []
    if ceiling:
        cpu = ""
        if ceiling.get("server_cpu_s") is not None and ceiling["ok"]:
            cpu = ", server thread %.1f us CPU/request" % (1e6 * ceiling["server_cpu_s"] / ceiling["ok"])
        lines.append("HTTP ceiling (bare libevent, fixed {} reply, same load): %.0f req/s, p50 %s ms, p99 %s ms%s"
                     " (best of %s req/s)"
                     % (ceiling_rps, fmt_ms(ceiling["latency_us"]["p50"]), fmt_ms(ceiling["latency_us"]["p99"]), cpu,
                        " and ".join("%.0f" % c["throughput_rps"] for c in ceilings)))
    hdr = "%-16s %-9s %10s %8s %8s %8s %9s %9s %10s %8s %10s %8s %8s  %s" % (
        "workload", "server", "req/s", "p50 ms", "p99 ms", "errors", "%ceiling", "M/peer", "p99 peer/M",
        "srv cpu", "srv us/req", "cli cpu", "srv MB", "error types")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for row in rows:
        frac = "%.1f%%" % (100 * row["fraction_of_ceiling"]) if row["fraction_of_ceiling"] != "" else "-"
        lines.append("%-16s %-9s %10.0f %8s %8s %8d %9s %9s %10s %8s %10s %8s %8s  %s" % (
            row["workload"], row["server"], row["throughput_rps"],
            "-" if row["p50_ms"] is None else "%.2f" % row["p50_ms"],
            "-" if row["p99_ms"] is None else "%.2f" % row["p99_ms"],
            row["errors"], frac, (row["meridian_over_server_rps"] + "x") if row["meridian_over_server_rps"] else "",
            (row["server_p99_over_meridian_p99"] + "x") if row["server_p99_over_meridian_p99"] else "",
            ("%s%%" % row["server_cpu_pct"]) if row["server_cpu_pct"] != "" else "-",
            row["server_cpu_us_per_req"] if row["server_cpu_us_per_req"] != "" else "-",
            ("%s%%" % row["client_cpu_pct"]) if row["client_cpu_pct"] != "" else "-",
            row["server_rss_max_mb"] if row["server_rss_max_mb"] != "" else "-",
            row["error_types"]))
        ol = by[(row["server"], row["workload"])].get("open_loop")
        if ol:
            lines.append("%-16s %-9s open loop: target %.0f/s, achieved %.0f/s, backlog max %d: %s" % (
                "", "", ol["target_rate"], ol["achieved_rate"], ol["backlog_max"],
                "kept the rate" if ol["kept_up"] else "RATE NOT SUSTAINED"))
        if row["lag_p50_ms"] != "":
            r = by[(row["server"], row["workload"])]
            lag = r["replication_lag_us"]
            if lag["count"]:
                lines.append("%-16s %-9s replication lag %s -> %s: p50 %.2f ms, p99 %.2f ms (%d items, %d not seen)" % (
                    "", "", lag["from_region"], lag["to_region"], row["lag_p50_ms"], row["lag_p99_ms"],
                    lag["count"], lag["timeouts"]))
            else:
                lines.append("%-16s %-9s replication lag: no item seen in %s (%d timeouts)" % (
                    "", "", lag["to_region"], lag["timeouts"]))
    if repeated:
        lines.append("Each row is the server's best of its runs (runs and median req/s: summary.csv).")
        for row in rows:
            lines.append("  %-16s %-9s runs %d, median %.0f req/s" % (row["workload"], row["server"], row["runs"],
                                                                     row["median_rps"]))
    lines.append("M/peer: Meridian's throughput divided by the server's; p99 peer/M: the server's p99 over Meridian's;")
    lines.append("srv/cli cpu: CPU of the server's processes / of the load generator in the window (100% = one core);")
    lines.append("srv us/req: server CPU time per successful request, the figure least moved by other load on the machine.")
    lines.append("srv MB: the most RSS the server's processes held together during the run.")
    lines += rss_trends(table)
    for r in scale_runs:
        lines += scale_lines(r)
    text = "\n".join(lines)
    with open(os.path.join(args.folder, "summary.txt"), "w") as f:
        f.write(text + "\n")
    print(text)

    if not rows:
        return
    if args.plot == "png":
        if not plot_gnuplot(args.folder, order, servers, by, ceiling_rps):
            plot_svg(args.folder, order, servers, by, ceiling_rps)
    elif args.plot == "svg":
        plot_svg(args.folder, order, servers, by, ceiling_rps)


def rss_trends(runs):
    """Per process, how RSS moved over the two halves of runs of 20 s or more."""
    out = []
    for r in sorted(runs, key=lambda r: (r["server"], r["workload"])):
        for p in r.get("server_memory", {}).get("processes", []):
            if "trend" in p:
                out.append("RSS %s/%s, %s: %.1f MB at the window's start, %+.1f MB in the first half, %+.1f MB in the"
                           " second (%s); max %.1f MB" % (
                               r["server"], r["workload"], p["name"], p["rss_window_start_kb"] / 1024.0,
                               p["window_first_half_growth_kb"] / 1024.0, p["window_second_half_growth_kb"] / 1024.0,
                               p["trend"], p["rss_max_kb"] / 1024.0))
    return out


def scale_lines(r):
    """The scale run: loads, then each read's big/small figures and ratios."""
    out = ["scale (%s): %d-item table against a %d-item one, %d connections, %g s each" % (
        r["server"], r["big_items"], r["small_items"], r["connections"], r["duration_s"])]
    for side in ("small", "big"):
        load = r.get("load", {}).get(side)
        if load:
            rss = ", ".join("%s %.1f MB" % (k, v / 1024.0) for k, v in load.get("rss_after_kb", {}).items() if v >= 0)
            out.append("  load %-8s %9d items in %7.2f s = %8.0f items/s (%s, %d failed requests)%s" % (
                side, load["items"], load["seconds"], load["items_per_s"], load["operation"], load["failed_requests"],
                "; RSS after: " + rss if side == "big" and rss else ""))
    for op, c in r.get("comparisons", {}).items():
        out.append("  %-8s small %8.0f req/s p50 %s p99 %s ms | big %8.0f req/s p50 %s p99 %s ms | big/small: req/s %.2fx,"
                   " p50 %.2fx, p99 %.2fx, server CPU/request %.2fx" % (
                       op, c["small"]["throughput_rps"], fmt_ms(c["small"]["p50_us"]), fmt_ms(c["small"]["p99_us"]),
                       c["big"]["throughput_rps"], fmt_ms(c["big"]["p50_us"]), fmt_ms(c["big"]["p99_us"]),
                       c["ratio_rps"], c["ratio_p50"], c["ratio_p99"], c.get("ratio_server_cpu_per_req", 0)))
    if not r.get("ok_run", True):
        out.append("  some steps failed: see the scale JSON's steps")
    return out


def values(order, servers, by, key):
    out = {}
    for w in order:
        for s in servers:
            r = by.get((s, w))
            if r and r.get("ok_run", True) and r["ok"] > 0:
                out[(w, s)] = r["throughput_rps"] if key == "rps" else r["latency_us"]["p99"] / 1000.0
    return out


def plot_gnuplot(folder, order, servers, by, ceiling_rps):
    rps = values(order, servers, by, "rps")
    p99 = values(order, servers, by, "p99")
    dat = os.path.join(folder, "plot.dat")
    with open(dat, "w") as f:
        f.write("workload " + " ".join(servers) + "\n")
        for w in order:
            f.write(w + " " + " ".join(("%.1f" % rps[(w, s)]) if (w, s) in rps else "?" for s in servers) + "\n")
        f.write("\n\n")
        f.write("workload " + " ".join(servers) + "\n")
        for w in order:
            f.write(w + " " + " ".join(("%.3f" % p99[(w, s)]) if (w, s) in p99 else "?" for s in servers) + "\n")
    cols = " ".join("'%s'" % COLORS.get(s, "#7f7f7f") for s in servers)
    plots_rps = ", ".join(
        "'%s' index 0 using %d:xtic(1) title columnhead lc rgb '%s'" % (dat, i + 2, COLORS.get(s, "#7f7f7f"))
        for i, s in enumerate(servers))
    plots_p99 = ", ".join(
        "'%s' index 1 using %d:xtic(1) title columnhead lc rgb '%s'" % (dat, i + 2, COLORS.get(s, "#7f7f7f"))
        for i, s in enumerate(servers))
    ceiling_cmd = ""
    if ceiling_rps:
        ceiling_cmd = ("set arrow 1 from graph 0, first %f to graph 1, first %f nohead dt 2 lw 2 lc rgb '#555555'\n"
                       "set label 1 'HTTP ceiling %.0f req/s' at graph 0.01, first %f offset 0,0.7 tc rgb '#555555'\n"
                       % (ceiling_rps, ceiling_rps, ceiling_rps, ceiling_rps))
    script = """set terminal pngcairo size 1100,900 font 'sans,11'
set output '%(out)s'
set datafile missing '?'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set key outside right top
set grid ytics
set multiplot layout 2,1 title 'meridian-bench: %(title)s'
set title 'Throughput (requests/s, higher is better)'
set yrange [0:%(ymax)f]
%(ceiling)s
plot %(rps)s
unset arrow 1
unset label 1
set title 'p99 latency (ms, log scale, lower is better)'
set logscale y
set yrange [*:*]
plot %(p99)s
unset multiplot
""" % {"out": os.path.join(folder, "plot.png"), "title": os.path.basename(folder.rstrip("/")),
       "ceiling": ceiling_cmd, "rps": plots_rps, "p99": plots_p99,
       "ymax": 1.15 * max(list(rps.values()) + [ceiling_rps, 1.0])}
    with open(os.path.join(folder, "plot.gp"), "w") as f:
        f.write(script)
    try:
        subprocess.run(["gnuplot", os.path.join(folder, "plot.gp")], check=True)
        return True
    except (OSError, subprocess.CalledProcessError) as e:
        print("summarize: gnuplot failed (%s); writing an SVG" % e, file=sys.stderr)
        return False


def svg_panel(parts, x0, y0, width, height, title, order, servers, data, log_scale, ceiling=None):
    import math
    vals = [v for v in data.values() if v > 0] + ([ceiling] if ceiling else [])
    if not vals:
        vals = [1.0]
    top = max(vals) * 1.1
    bottom = min(vals) / 2 if log_scale else 0.0

    def y_of(v):
        if log_scale:
            v = max(v, bottom)
            return y0 + height - height * (math.log10(v) - math.log10(bottom)) / (math.log10(top) - math.log10(bottom))
        return y0 + height - height * v / top

    parts.append('<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>' % (x0, y0 - 12, title))
    parts.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>' % (x0, y0 + height, x0 + width, y0 + height))
    parts.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>' % (x0, y0, x0, y0 + height))
    for k in range(5):
        v = bottom * (top / bottom) ** (k / 4.0) if log_scale else top * k / 4.0
        y = y_of(v)
        parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (x0, y, x0 + width, y))
        parts.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end">%s</text>'
                     % (x0 - 4, y + 4, ("%.3g" % v)))
    group = width / max(1, len(order))
    bar = group * 0.8 / max(1, len(servers))
    for gi, w in enumerate(order):
        gx = x0 + gi * group + group * 0.1
        for si, s in enumerate(servers):
            v = data.get((w, s))
            if v is None:
                continue
            y = y_of(v)
            parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.4g</title></rect>'
                         % (gx + si * bar, y, bar * 0.95, y0 + height - y, COLORS.get(s, "#7f7f7f"), s, w, v))
            parts.append('<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%.3g</text>'
                         % (gx + si * bar + bar / 2, y - 3, v))
        parts.append('<text x="%.1f" y="%d" font-size="12" text-anchor="middle">%s</text>'
                     % (x0 + gi * group + group / 2, y0 + height + 16, w))
    if ceiling:
        y = y_of(ceiling)
        parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#555" stroke-dasharray="6,4" stroke-width="2"/>'
                     % (x0, y, x0 + width, y))
        parts.append('<text x="%d" y="%.1f" font-size="11" fill="#555">HTTP ceiling %.0f req/s</text>'
                     % (x0 + 6, y - 4, ceiling))


def plot_svg(folder, order, servers, by, ceiling_rps):
    rps = values(order, servers, by, "rps")
    p99 = values(order, servers, by, "p99")
    W, H = 1000, 820
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">' % (W, H),
             '<rect width="100%" height="100%" fill="white"/>']
    svg_panel(parts, 80, 60, 760, 300, "Throughput (requests/s, higher is better)", order, servers, rps, False,
              ceiling_rps or None)
    svg_panel(parts, 80, 460, 760, 300, "p99 latency (ms, log scale, lower is better)", order, servers, p99, True)
    for i, s in enumerate(servers):
        parts.append('<rect x="870" y="%d" width="14" height="14" fill="%s"/>' % (70 + 22 * i, COLORS.get(s, "#7f7f7f")))
        parts.append('<text x="890" y="%d" font-size="12">%s</text>' % (82 + 22 * i, s))
    parts.append("</svg>")
    with open(os.path.join(folder, "plot.svg"), "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
