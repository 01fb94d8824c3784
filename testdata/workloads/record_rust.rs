// A std-only Rust workload for the Rust naming tests (tests/symbolize,
// tests/record): threads, closures, generics, trait objects, iterator chains,
// BTreeMap, sort and an #[inline(always)] helper, each hot enough to be
// sampled. Usage: record_rust SECONDS [THREADS]: THREADS workers (default
// 2; 0 = the main thread works); prints "ready" once they run, and ends
// after SECONDS.
//
// Built by the tests (tests/symbolize/meson.build), once per mangling:
//   /usr/bin/rustc --edition 2021 --crate-name prog -C opt-level=2 -g \
//     -C force-frame-pointers=no record_rust.rs -o rust_legacy
//   ... the same plus -C symbol-mangling-version=v0 -o rust_v0
// and with rustup's rustc (/root/.cargo/bin/rustc) when the machine has one.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

static SINK: AtomicU64 = AtomicU64::new(0);

// std::hint::black_box is newer than rustc 1.63.
fn opaque<T: Copy>(x: T) -> T {
    unsafe { std::ptr::read_volatile(&x) }
}

#[inline(always)]
fn mix(x: u64) -> u64 {
    let y = x ^ (x >> 31);
    y.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17)
}

#[inline(never)]
fn parse_request(line: &str) -> Option<(u64, u64)> {
    let mut parts = line.split(' ');
    let method = parts.next()?;
    let path = parts.next()?;
    let id: u64 = path.trim_start_matches("/item/").parse().ok()?;
    Some((id, method.len() as u64))
}

pub trait Score {
    fn weight(&self) -> u64;
}

impl Score for u64 {
    fn weight(&self) -> u64 {
        mix(*self)
    }
}

#[inline(never)]
fn score<T: Score>(items: &[T]) -> u64 {
    items.iter().map(|x| x.weight()).filter(|w| w & 1 == 0).fold(0u64, |a, w| a.wrapping_add(w))
}

pub trait Handler: Send + Sync {
    fn handle(&self, id: u64) -> u64;
}

struct Lookup {
    table: Vec<u64>,
}

impl Handler for Lookup {
    #[inline(never)]
    fn handle(&self, id: u64) -> u64 {
        let n = self.table.len() as u64;
        (0..1024u64).map(|i| self.table[((id + i) % n) as usize]).fold(id, |a, v| mix(a ^ v))
    }
}

struct Sorter;

impl Handler for Sorter {
    #[inline(never)]
    fn handle(&self, id: u64) -> u64 {
        let mut v: Vec<u64> = (0..256u64).map(|i| mix(id.wrapping_add(i))).collect();
        v.sort_unstable();
        v[opaque(128)]
    }
}

#[inline(never)]
fn build_routes(base: u64) -> Vec<Box<dyn Fn(u64) -> u64 + Send + Sync>> {
    let mut routes: Vec<Box<dyn Fn(u64) -> u64 + Send + Sync>> = Vec::new();
    routes.push(Box::new(move |x| {
        let mut acc = base;
        for i in 0..2000u64 {
            acc = mix(acc ^ x.wrapping_add(i));
        }
        acc
    }));
    routes.push(Box::new(move |x| x.wrapping_mul(base) >> 3));
    routes
}

#[inline(never)]
fn index_requests(ids: &[u64]) -> BTreeMap<u64, u64> {
    let mut map = BTreeMap::new();
    for &id in ids {
        *map.entry(mix(id)).or_insert(0) += 1;
    }
    map
}

fn worker(deadline: Instant, seed: u64, handlers: Arc<Vec<Box<dyn Handler>>>) -> u64 {
    let routes = build_routes(seed | 1);
    let items: Vec<u64> = (0..512u64).map(|i| i * seed + 7).collect();
    let mut total = 0u64;
    let mut round = 0u64;
    while Instant::now() < deadline {
        for i in 0..64u64 {
            let line = format!("GET /item/{}", round * 64 + i);
            if let Some((id, m)) = parse_request(&line) {
                total = total.wrapping_add(id + m);
            }
        }
        for _ in 0..8 {
            total = total.wrapping_add(score(&items[..opaque(512)]));
        }
        for h in handlers.iter() {
            total = total.wrapping_add(h.handle(total ^ round));
        }
        for r in routes.iter() {
            total = total.wrapping_add(r(round));
        }
        let ids: Vec<u64> = (0..128u64).map(|i| round * 128 + i).collect();
        total = total.wrapping_add(index_requests(&ids).len() as u64);
        round += 1;
    }
    total
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let threads: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let handlers: Arc<Vec<Box<dyn Handler>>> =
        Arc::new(vec![Box::new(Lookup { table: (0..1000).collect() }), Box::new(Sorter)]);
    if threads == 0 {
        // The main thread works (for samplers that see one thread only).
        println!("ready");
        SINK.fetch_add(worker(deadline, 3, handlers), Ordering::Relaxed);
    } else {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let h = Arc::clone(&handlers);
                std::thread::spawn(move || worker(deadline, t + 3, h))
            })
            .collect();
        println!("ready");
        for w in workers {
            SINK.fetch_add(w.join().unwrap(), Ordering::Relaxed);
        }
    }
    println!("{}", SINK.load(Ordering::Relaxed) & 1);
}
