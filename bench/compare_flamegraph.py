#!/usr/bin/env python3
"""Random folded inputs drawn by flamegraph.pl --hash and stackfire render --hash,
compared frame by frame (name, title, x, width, y), with random --reverse,
--flamechart, --inverted or --minwidth 0. Names include spaces, tabs, prefixes
of each other, empty frames, annotations, markup and non-ASCII; bad lines too.
Usage: FLAMEGRAPH_DIR=... bench/compare_flamegraph.py [SEED] [CASES]

Left out on purpose, because flamegraph.pl's results there are its bugs:
zero counts (a zero-width frame can overwrite another frame with the same
name, depth and end time) and frame names ending in " <digits>" (read as a
second count column, and re-read after --reverse).
"""
import tempfile
IN = tempfile.mkstemp(suffix=".folded")[1]
import random, re, subprocess, sys, html, json
import os
B=os.environ.get("STACKFIRE_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "src", "cli", "stackfire"))
FG=os.path.join(os.environ.get("FLAMEGRAPH_DIR", "/work/FlameGraph"), "flamegraph.pl")
names=["a","b","c","c2","c c","c;","x y","_[k]","f_[k]","g_[j]","", "--", "-", "h\tt", "a!", "a ", "Z", "é", "<t>", "&amp;", "0x1f", "12"]
def gen(rng):
    lines=[]
    for _ in range(rng.randint(1,40)):
        depth=rng.randint(0,5)
        st=";".join(rng.choice(names) for _ in range(depth))
        if rng.random()<0.1: st+=";"
        c=rng.choice(["1","2","3.5","10","7.","100"])
        sep=rng.choice([" "," "," ","\t"])
        if rng.random()<0.1: lines.append(rng.choice(["bad line","", "x -1"]))
        else: lines.append(st+sep+c)
    return "\n".join(lines)+"\n"
def parse_perl(svg):
    out=[]
    for t,x,y,w in re.findall(r'<title>(.*?)</title><rect x="([^"]*)" y="([^"]*)" width="([^"]*)"',svg,re.S):
        out.append((html.unescape(t),float(x),float(y),float(w)))
    return out
def parse_mine(svg):
    # The frame table: JSON in <metadata id="sfdata">, x and w in counts.
    m=re.search(r'<g id="zoom" transform="matrix\(([^ ]*) 0 0 1 ([^ ]*) 0\)"',svg)
    k=float(m.group(1)); xp=float(m.group(2))
    t=json.loads(html.unescape(re.search(r'<metadata id="sfdata">(.*?)</metadata>',svg,re.S).group(1)))
    return [(t["names"][n]+t["tip"][i],xp+t["x"][i]*k,t["y0"]+t["depth"][i]*t["dy"],t["w"][i]*k)
            for i,n in enumerate(t["name"])]
rng=random.Random(int(sys.argv[1]) if len(sys.argv)>1 else 1)
bad=0
for it in range(int(sys.argv[2]) if len(sys.argv)>2 else 200):
    text=gen(rng)
    opts=rng.choice([[],["--reverse"],["--flamechart"],["--inverted"],["--minwidth","0"]])
    open(IN,"w").write(text)
    p=subprocess.run(["perl",FG,"--hash"]+opts+[IN],capture_output=True,text=True)
    s=subprocess.run([B,"render","--hash"]+opts+[IN],capture_output=True,text=True)
    if "ERROR" in p.stdout[:3000] and "No valid input" in p.stdout:
        if s.returncode!=1: print("EMPTY MISMATCH",it); bad+=1
        continue
    a=sorted(parse_perl(p.stdout),key=lambda f:(f[2],f[1],f[3],f[0])); b=sorted(parse_mine(s.stdout),key=lambda f:(f[2],f[1],f[3],f[0]))
    ok=len(a)==len(b) and all(x[0]==y[0] and abs(x[1]-y[1])<0.051 and abs(x[3]-y[3])<0.101 and x[2]==y[2] for x,y in zip(a,b))
    if not ok:
        bad+=1
        if bad<=3:
            print("MISMATCH",it,opts); print(repr(text)[:600])
            for x,y in zip(a,b):
                if not(x[0]==y[0] and abs(x[1]-y[1])<0.051 and abs(x[3]-y[3])<0.101 and x[2]==y[2]): print(" perl",x,"\n mine",y); break
            if len(a)!=len(b): print(" counts",len(a),len(b))
print("bad",bad)
