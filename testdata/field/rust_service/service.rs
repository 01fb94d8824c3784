//! A service-shaped Rust workload for the field suite (tests/field): a
//! producer thread turns request lines into a channel, worker threads parse
//! them, route them through a table of trait objects and closures, score them
//! with generic functions, keep a BTreeMap index and HashMap counters, sort,
//! and format a response. Only std, so Debian's rustc 1.63 builds it alone:
//!
//!   /usr/bin/rustc -C opt-level=2 -g -C force-frame-pointers=no \
//!       [-C symbol-mangling-version=v0] -o field_service service.rs
//!
//! (tests/field/meson.build builds both manglings this way.)
//!
//!   field_service SECONDS [WORKERS]
//!
//! runs for SECONDS (0: until killed), prints "ready" once every worker has
//! started, and at the end prints how many requests it served.
//!
//! The function names below are what tests/field/check_field.py looks for in
//! the profile: parse_request, score::<u64>, score::<u32>, build_routes's
//! closures, Catalog::handle (a trait object's method), mix (always inlined).
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

pub struct Request {
    pub route: String,
    pub user: u64,
    pub items: Vec<u32>,
    pub note: String,
}

#[derive(Default)]
pub struct State {
    index: BTreeMap<u64, u64>,
    counters: HashMap<String, u64>,
    recent: Vec<(u64, u32)>,
}

pub trait Handler: Send + Sync {
    fn handle(&self, req: &Request, state: &mut State) -> String;
}

/// A handler as a trait object with its own type.
pub struct Catalog {
    weights: Vec<u32>,
}

impl Handler for Catalog {
    #[inline(never)]
    fn handle(&self, req: &Request, state: &mut State) -> String {
        let total: u64 = req
            .items
            .iter()
            .zip(self.weights.iter().cycle())
            .filter(|(item, _)| **item % 3 != 0)
            .map(|(item, w)| u64::from(*item) * u64::from(*w))
            .fold(0u64, |acc, v| mix(acc ^ v));
        let mut out = String::with_capacity(64);
        let _ = write!(out, "catalog user={} total={:x} n={}", req.user, total, req.items.len());
        *state.counters.entry(req.route.clone()).or_insert(0) += 1;
        out
    }
}

/// A handler that is a boxed closure.
pub struct FnHandler<F: Fn(&Request, &mut State) -> String + Send + Sync>(F);

impl<F: Fn(&Request, &mut State) -> String + Send + Sync> Handler for FnHandler<F> {
    fn handle(&self, req: &Request, state: &mut State) -> String {
        (self.0)(req, state)
    }
}

#[inline(always)]
fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 31)).wrapping_mul(0x7fb5_d329_728e_a185);
    let x = (x ^ (x >> 27)).wrapping_mul(0x81da_def4_bc2d_d44d);
    x ^ (x >> 33)
}

/// A generic function with two instances (u64 and u32).
#[inline(never)]
pub fn score<T: Copy + Into<u64>>(values: &[T], rounds: u32) -> u64 {
    let mut h = 0u64;
    for r in 0..rounds {
        h = values.iter().fold(h ^ u64::from(r), |acc, v| mix(acc.wrapping_add((*v).into())));
    }
    h
}

#[inline(never)]
pub fn parse_request(line: &str) -> Option<Request> {
    let mut parts = line.split(' ');
    let route = parts.next()?.to_string();
    let user = parts.next()?.strip_prefix("user=")?.parse::<u64>().ok()?;
    let items = parts
        .next()?
        .strip_prefix("items=")?
        .split(',')
        .filter_map(|s| s.parse::<u32>().ok())
        .collect::<Vec<_>>();
    let note = parts.collect::<Vec<_>>().join(" ");
    Some(Request { route, user, items, note })
}

#[inline(never)]
pub fn build_routes() -> HashMap<&'static str, Box<dyn Handler>> {
    let mut routes: HashMap<&'static str, Box<dyn Handler>> = HashMap::new();
    routes.insert("/catalog", Box::new(Catalog { weights: (1..=17).collect() }));
    // Indexing: BTreeMap entries (VacantEntry::insert), then a range scan.
    routes.insert(
        "/index",
        Box::new(FnHandler(|req: &Request, state: &mut State| {
            for (i, item) in req.items.iter().enumerate() {
                let key = mix(req.user ^ ((*item as u64) << 20) ^ i as u64) % 200_000;
                *state.index.entry(key).or_insert(0) += u64::from(*item);
            }
            if state.index.len() > 150_000 {
                state.index.clear();
            }
            let lo = req.user % 100_000;
            let sum: u64 = state.index.range(lo..lo + 300).map(|(_, v)| *v).sum();
            format!("index size={} sum={}", state.index.len(), sum)
        })),
    );
    // Scoring: the generic function at two types, and a sort.
    routes.insert(
        "/score",
        Box::new(FnHandler(|req: &Request, state: &mut State| {
            let wide: Vec<u64> = req.items.iter().map(|v| u64::from(*v) * req.user).collect();
            let a = score::<u64>(&wide, 24);
            let b = score::<u32>(&req.items, 24);
            state.recent.push((a ^ b, req.items.len() as u32));
            if state.recent.len() > 4096 {
                state.recent.sort_unstable_by_key(|(h, _)| *h);
                state.recent.truncate(1024);
            }
            format!("score {:016x} {:016x}", a, b)
        })),
    );
    // Reporting: string formatting over the counters, sorted by name.
    routes.insert(
        "/report",
        Box::new(FnHandler(|req: &Request, state: &mut State| {
            *state.counters.entry(format!("{}#{}", req.route, req.user % 64)).or_insert(0) += 1;
            let mut names: Vec<(&String, &u64)> = state.counters.iter().collect();
            names.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            let mut out = String::new();
            for (name, n) in names.iter().take(16) {
                let _ = writeln!(out, "{:<24} {:>8} {}", name, n, req.note.len());
            }
            out
        })),
    );
    routes
}

fn make_line(seq: u64) -> String {
    const ROUTES: [&str; 4] = ["/catalog", "/index", "/score", "/report"];
    let r = mix(seq);
    let n = 24 + (r % 40) as usize;
    let items: Vec<String> = (0..n).map(|i| ((mix(r + i as u64) % 10_000) as u32).to_string()).collect();
    format!("{} user={} items={} note from client {}", ROUTES[(r % 4) as usize], r % 100_000, items.join(","), seq)
}

fn worker(rx: mpsc::Receiver<Vec<String>>, routes: Arc<HashMap<&'static str, Box<dyn Handler>>>,
          served: Arc<AtomicU64>) -> usize {
    let mut state = State::default();
    let mut bytes = 0usize;
    while let Ok(batch) = rx.recv() {
        for line in &batch {
            if let Some(req) = parse_request(line) {
                if let Some(h) = routes.get(req.route.as_str()) {
                    bytes += h.handle(&req, &mut state).len();
                }
            }
        }
        served.fetch_add(batch.len() as u64, Ordering::Relaxed);
    }
    bytes
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let workers: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2).max(1);
    let routes = Arc::new(build_routes());
    let served = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for i in 0..workers {
        let (tx, rx) = mpsc::sync_channel::<Vec<String>>(4);
        let (routes, served) = (Arc::clone(&routes), Arc::clone(&served));
        senders.push(tx);
        handles.push(
            thread::Builder::new()
                .name(format!("worker-{}", i))
                .spawn(move || worker(rx, routes, served))
                .expect("spawn worker"),
        );
    }
    println!("ready");
    let start = Instant::now();
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for tx in &senders {
            let batch: Vec<String> = (0..32).map(|k| make_line(seq + k)).collect();
            seq += 32;
            if tx.send(batch).is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        if seconds != 0 && start.elapsed() >= Duration::from_secs(seconds) {
            stop.store(true, Ordering::Relaxed);
        }
    }
    drop(senders);
    let bytes: usize = handles.into_iter().map(|h| h.join().expect("join worker")).sum();
    println!("served {} ({} bytes)", served.load(Ordering::Relaxed), bytes);
}
