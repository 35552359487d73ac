// The per-runtime setup of the CloudFront Functions environment. It runs once when a pooled
// goja runtime is created (never per request) and returns the require function the compiled
// code gets. `go` holds the Go helpers, `v2` is true for cloudfront-js-2.0, `mods` the modules
// built in Go (crypto, cloudfront, console).
//
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-custom-methods.html
(function (go, v2, mods) {
	"use strict";
	var G = globalThis;
	var defineProperty = Object.defineProperty;
	var getPrototypeOf = Object.getPrototypeOf;
	var hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);

	// Every Date read returns the invocation start time ("the Date object ... returns the
	// time the function started"); dates built from arguments work as usual.
	var RealDate = Date;
	function FrozenDate(year, month, day, hours, minutes, seconds, ms) {
		if (!new.target) {
			return new RealDate(go.now()).toString();
		}
		if (arguments.length === 0) {
			return new RealDate(go.now());
		}
		return Reflect.construct(RealDate, arguments);
	}
	FrozenDate.prototype = RealDate.prototype;
	FrozenDate.now = function now() { return go.now(); };
	FrozenDate.parse = RealDate.parse;
	FrozenDate.UTC = RealDate.UTC;
	defineProperty(RealDate.prototype, "constructor", { value: FrozenDate, writable: true, configurable: true });
	G.Date = FrozenDate;

	// No dynamic code evaluation: eval is gone and every function constructor throws.
	delete G.eval;
	function NoFunction() {
		throw new EvalError("dynamic code evaluation is not supported");
	}
	NoFunction.prototype = Function.prototype;
	[Function.prototype, getPrototypeOf(async function () {}), getPrototypeOf(function* () {})].forEach(function (p) {
		defineProperty(p, "constructor", { value: NoFunction, writable: false, configurable: false });
	});
	G.Function = NoFunction;

	var Buffer;
	if (v2) {
		var view = function (b) { return new DataView(b.buffer, b.byteOffset, b.byteLength); };
		Buffer = class Buffer extends Uint8Array {
			static from(v, enc, len) {
				if (typeof v === "string") {
					return new Buffer(go.dec(v, enc));
				}
				if (v instanceof ArrayBuffer) {
					var off = enc === undefined ? 0 : enc;
					return new Buffer(v, off, len === undefined ? v.byteLength - off : len);
				}
				if (ArrayBuffer.isView(v)) {
					var c = new Buffer(v.byteLength);
					c.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
					return c;
				}
				if (v && v.type === "Buffer" && Array.isArray(v.data)) {
					return Buffer.from(v.data);
				}
				if (v && typeof v === "object" && typeof v.length === "number") {
					var a = new Buffer(v.length);
					for (var i = 0; i < v.length; i++) a[i] = v[i] & 255;
					return a;
				}
				throw new TypeError("The first argument must be of type string, Buffer, ArrayBuffer, Array, or Array-like Object");
			}
			static alloc(n, fill, enc) {
				var b = new Buffer(n);
				if (fill !== undefined && fill !== 0) b.fill(fill, 0, n, enc);
				return b;
			}
			static allocUnsafe(n) { return new Buffer(n); }
			static isBuffer(b) { return b instanceof Buffer; }
			static isEncoding(e) { return go.isEnc(e); }
			static byteLength(v, enc) {
				return typeof v === "string" ? go.dec(v, enc).byteLength : v.byteLength;
			}
			static concat(list, total) {
				var i;
				if (total === undefined) {
					total = 0;
					for (i = 0; i < list.length; i++) total += list[i].length;
				}
				var b = new Buffer(total), off = 0;
				for (i = 0; i < list.length && off < total; i++) {
					var it = list[i], n = Math.min(it.length, total - off);
					b.set(n < it.length ? it.subarray(0, n) : it, off);
					off += n;
				}
				return b;
			}
			static compare(a, b) { return Buffer.prototype.compare.call(a, b); }
			toString(enc, start, end) {
				var s = this;
				if (start !== undefined || end !== undefined) s = this.subarray(start || 0, end === undefined ? this.length : end);
				return go.enc(s, enc);
			}
			toJSON() { return { type: "Buffer", data: Array.prototype.slice.call(this) }; }
			equals(o) { return this.compare(o) === 0; }
			compare(o) {
				var n = Math.min(this.length, o.length);
				for (var i = 0; i < n; i++) {
					if (this[i] !== o[i]) return this[i] < o[i] ? -1 : 1;
				}
				return this.length === o.length ? 0 : (this.length < o.length ? -1 : 1);
			}
			subarray(s, e) {
				var u = Uint8Array.prototype.subarray.call(this, s, e);
				return new Buffer(u.buffer, u.byteOffset, u.length);
			}
			slice(s, e) { return this.subarray(s, e); }
			write(str, off, len, enc) {
				if (typeof off === "string") { enc = off; off = 0; len = undefined; }
				if (typeof len === "string") { enc = len; len = undefined; }
				off = off || 0;
				var b = Buffer.from(str, enc);
				var n = Math.min(b.length, this.length - off, len === undefined ? Infinity : len);
				this.set(b.subarray(0, n), off);
				return n;
			}
			fill(v, start, end, enc) {
				if (typeof start === "string") { enc = start; start = 0; end = this.length; }
				start = start || 0;
				end = end === undefined ? this.length : end;
				if (typeof v === "string") {
					var p = Buffer.from(v, enc);
					if (p.length === 0) return Uint8Array.prototype.fill.call(this, 0, start, end), this;
					for (var i = start, j = 0; i < end; i++, j = (j + 1) % p.length) this[i] = p[j];
					return this;
				}
				Uint8Array.prototype.fill.call(this, v, start, end);
				return this;
			}
		};
		[["Int8", 1], ["UInt8", 1, "Uint8"], ["Int16", 2], ["UInt16", 2, "Uint16"], ["Int32", 4], ["UInt32", 4, "Uint32"],
			["Float", 4, "Float32"], ["Double", 8, "Float64"]].forEach(function (t) {
			var name = t[0], size = t[1], dv = t[2] || name;
			var ends = size === 1 ? [""] : ["BE", "LE"];
			ends.forEach(function (e) {
				var le = e === "LE";
				var read = function (o) { return view(this)["get" + dv](o || 0, le); };
				var write = function (v, o) { o = o || 0; view(this)["set" + dv](o, v, le); return o + size; };
				Buffer.prototype["read" + name + e] = read;
				Buffer.prototype["write" + name + e] = write;
				if (name.indexOf("UInt") === 0) {
					Buffer.prototype["readUint" + name.slice(4) + e] = read;
					Buffer.prototype["writeUint" + name.slice(4) + e] = write;
				}
			});
		});
		G.Buffer = Buffer;

		G.TextEncoder = class TextEncoder {
			get encoding() { return "utf-8"; }
			encode(s) { return new Uint8Array(go.dec(s === undefined ? "" : String(s), "utf8")); }
			encodeInto(s, dst) {
				s = String(s);
				var read = 0, written = 0;
				for (var i = 0; i < s.length;) {
					var cp = s.codePointAt(i), units = cp > 0xffff ? 2 : 1;
					var b = new Uint8Array(go.dec(String.fromCodePoint(cp), "utf8"));
					if (written + b.length > dst.length) break;
					dst.set(b, written);
					written += b.length;
					read += units;
					i += units;
				}
				return { read: read, written: written };
			}
		};
		G.TextDecoder = class TextDecoder {
			constructor(label, opts) {
				label = label === undefined ? "utf-8" : String(label).toLowerCase().trim();
				if (label !== "utf-8" && label !== "utf8" && label !== "unicode-1-1-utf-8") {
					throw new RangeError("The \"" + label + "\" encoding is not supported");
				}
				this._fatal = !!(opts && opts.fatal);
				this._ignoreBOM = !!(opts && opts.ignoreBOM);
			}
			get encoding() { return "utf-8"; }
			get fatal() { return this._fatal; }
			get ignoreBOM() { return this._ignoreBOM; }
			decode(b) {
				if (b === undefined) return "";
				if (b instanceof ArrayBuffer) b = new Uint8Array(b);
				else if (ArrayBuffer.isView(b)) b = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
				else throw new TypeError("The \"input\" argument must be an ArrayBuffer or ArrayBufferView");
				return go.utf8(b, this._fatal, this._ignoreBOM);
			}
		};
		G.atob = go.atob;
		G.btoa = go.btoa;
	}

	// querystring, as Node's (https://nodejs.org/api/querystring.html), which the
	// CloudFront Functions pages point to.
	var qsEscape = function escape(s) { return encodeURIComponent(typeof s === "string" ? s : String(s)); };
	var qsUnescape = function unescape(s) { return go.unescape(String(s)); };
	var prim = function (v) {
		switch (typeof v) {
		case "string": return v;
		case "boolean": return v ? "true" : "false";
		case "number": return isFinite(v) ? String(v) : "";
		case "bigint": return String(v);
		default: return "";
		}
	};
	var qs = {
		escape: qsEscape,
		unescape: qsUnescape,
		parse: function parse(str, sep, eq, opts) {
			var obj = Object.create(null);
			if (typeof str !== "string" || str.length === 0) return obj;
			sep = sep || "&";
			eq = eq || "=";
			var maxKeys = 1000, dec = qsUnescape;
			if (opts) {
				if (typeof opts.maxKeys === "number") maxKeys = opts.maxKeys;
				if (typeof opts.decodeURIComponent === "function") dec = opts.decodeURIComponent;
			}
			var parts = str.split(sep);
			if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
			for (var i = 0; i < parts.length; i++) {
				var p = parts[i];
				if (p.length === 0) continue;
				var at = p.indexOf(eq), k, v;
				if (at >= 0) { k = p.slice(0, at); v = p.slice(at + eq.length); } else { k = p; v = ""; }
				k = dec(k.replace(/\+/g, " "));
				v = dec(v.replace(/\+/g, " "));
				if (!hasOwn(obj, k)) obj[k] = v;
				else if (Array.isArray(obj[k])) obj[k].push(v);
				else obj[k] = [obj[k], v];
			}
			return obj;
		},
		stringify: function stringify(obj, sep, eq, opts) {
			sep = sep || "&";
			eq = eq || "=";
			var enc = opts && typeof opts.encodeURIComponent === "function" ? opts.encodeURIComponent : qsEscape;
			if (obj === null || typeof obj !== "object") return "";
			var out = [];
			Object.keys(obj).forEach(function (k) {
				var v = obj[k], ks = enc(prim(k)) + eq;
				if (Array.isArray(v)) {
					for (var i = 0; i < v.length; i++) out.push(ks + enc(prim(v[i])));
				} else {
					out.push(ks + enc(prim(v)));
				}
			});
			return out.join(sep);
		},
	};
	qs.decode = qs.parse;
	qs.encode = qs.stringify;

	var table = Object.create(null);
	table.crypto = mods.crypto;
	table.querystring = qs;
	if (v2) {
		table.cloudfront = mods.cloudfront;
		table.buffer = { Buffer: Buffer };
	}
	var require = function require(name) {
		if (typeof name === "string" && hasOwn(table, name)) return table[name];
		throw new Error("Cannot find module \"" + String(name) + "\"");
	};
	G.console = mods.console;

	// Harden: freeze everything reachable from the global object and the modules, so that one
	// request cannot leave state behind for the next one run by this runtime. Writable data
	// properties commonly assigned on instances (name, message, toString, ...) become accessors
	// whose setter defines an own property on the instance, as SES does, so that code like
	// `err.name = 'X'` keeps working.
	var ENABLE = { constructor: 1, name: 1, message: 1, toString: 1, valueOf: 1, toJSON: 1, toLocaleString: 1, stack: 1 };
	var enable = function (o, k, d) {
		var value = d.value;
		defineProperty(o, k, {
			get: function () { return value; },
			set: function (nv) {
				if (this === o) throw new TypeError("Cannot assign to read only property '" + String(k) + "'");
				if (hasOwn(this, k)) this[k] = nv;
				else defineProperty(this, k, { value: nv, writable: true, enumerable: true, configurable: true });
			},
			enumerable: d.enumerable,
			configurable: false,
		});
	};
	var seen = new Set();
	var harden = function (root) {
		var stack = [root];
		while (stack.length) {
			var o = stack.pop();
			if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) continue;
			seen.add(o);
			var keys = Reflect.ownKeys(o);
			for (var i = 0; i < keys.length; i++) {
				var d = Object.getOwnPropertyDescriptor(o, keys[i]);
				if (!d) continue;
				if ("value" in d) {
					stack.push(d.value);
					if (typeof o === "object" && typeof keys[i] === "string" && ENABLE[keys[i]] === 1 && d.writable && d.configurable) {
						enable(o, keys[i], d);
					}
				} else {
					stack.push(d.get, d.set);
				}
			}
			stack.push(getPrototypeOf(o));
			Object.freeze(o);
		}
	};
	harden(G);
	harden(table);
	harden(require);
	return { require: require, Buffer: Buffer, parse: JSON.parse, proto: Object.prototype };
})
