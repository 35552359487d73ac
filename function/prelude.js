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

	// ---- The memory limit ----
	//
	// CloudFront Functions have 2 MB of memory, and a function that needs more fails with an
	// execution error, as a thrown error does
	// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions,
	// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html).
	// The compute budget interrupts goja only between instructions, so a built-in that works
	// natively on a size the code chooses (new ArrayBuffer(2e9), 'x'.repeat(5e8), fill on an
	// array whose length was set to 1e9, JSON.stringify of such an array, ...) would run to
	// completion, however long it takes and whatever it allocates. Those built-ins are wrapped
	// here to throw a RangeError first when the result would be over the limit. Work that calls
	// back into JavaScript for each element (callbacks, iterator steps) is left to the budget.
	//
	// MAX_BYTES is MaxMemory in memory.go (TestMemoryLimitConstant keeps them equal): the bytes
	// of an ArrayBuffer or typed array. A string counts 2 bytes per UTF-16 code unit (MAX_STR
	// units, 1,048,576), an array 16 bytes per element, the size of a goja value (MAX_LEN
	// elements, 131,072).
	var MAX_BYTES = 2097152;
	var MAX_LEN = MAX_BYTES / 16;
	var MAX_STR = MAX_BYTES / 2;
	// Global regular expression operations are left to Go (regexp_run.go), which collects the
	// results of every match before using them, when there can be at most MAX_LEN of those
	// (subject length times groups); larger ones run here, a match at a time. (What compiling
	// and matching a pattern cost is bounded below, with the regular expressions.)
	var FAST_CELLS = MAX_LEN;
	// A property of an ordinary object takes some 500 bytes in goja (an array element 16): a
	// builtin that would make MAX_PROPS properties on an object that is not an array (an
	// array-like this, an object from a species constructor) is refused at this many.
	var MAX_PROPS = MAX_BYTES / 512;

	var apply = Reflect.apply, construct = Reflect.construct, rget = Reflect.get, rset = Reflect.set;
	var rdefine = Reflect.defineProperty, ownKeys = Reflect.ownKeys;
	var gOPD = Object.getOwnPropertyDescriptor, isArray = Array.isArray, floor = Math.floor;
	var RealProxy = Proxy, RealArray = Array, RealRegExp = RegExp, RealRangeError = RangeError;
	var RealTypeError = TypeError, RealWeakMap = WeakMap, RealWeakSet = WeakSet;
	var AP = RealArray.prototype, SP = String.prototype, RP = RealRegExp.prototype;
	var NONE = [];
	// caller(f)(self, a, b) is f.call(self, a, b). In goja, Reflect.apply and any use of
	// arguments cost microseconds (a list, an arguments object); a bound call does not.
	var FCALL = Function.prototype.call, FBIND = Function.prototype.bind;
	var caller = function (f) { return apply(FBIND, FCALL, [f]); };
	var invoke = caller(FCALL); // invoke(f, self, a, b) is f.call(self, a, b)
	var realArrayJoin = AP.join, callJoin = caller(realArrayJoin);
	var SYM_SPECIES = Symbol.species, SYM_SPREAD = Symbol.isConcatSpreadable;
	var SYM_MATCH = Symbol.match, SYM_MATCHALL = Symbol.matchAll, SYM_REPLACE = Symbol.replace;
	var SYM_SEARCH = Symbol.search, SYM_SPLIT = Symbol.split, SYM_ITERATOR = Symbol.iterator;

	// The errors thrown here (console.log tells them from errors of the function's own code).
	var ours = new RealWeakSet();
	var fail = function (what, why) {
		var e = new RealRangeError(what + ": " + why);
		ours.add(e);
		// goja formats an error's stack when it is first read, reading name through the frozen
		// accessor; do it now, in JavaScript, rather than when Go reads it after the run, which
		// would fail if the budget ran out in between.
		void e.stack;
		throw e;
	};
	var tooBig = function (what) { fail(what, "over the function memory limit of 2 MiB"); };
	var isObject = function (v) { return v !== null && (typeof v === "object" || typeof v === "function"); };
	var define = function (o, k, v) { defineProperty(o, k, { value: v, writable: true, enumerable: false, configurable: true }); };
	// named gives f the length of the built-in it replaces (f is a method: not a constructor).
	var named = function (f, len) { defineProperty(f, "length", { value: len, configurable: true }); return f; };
	var brand = function (f, v) {
		try {
			invoke(f, v);
			return true;
		} catch (e) {
			return false;
		}
	};
	var toLen = function (n) { return n > 0 ? (n < 9007199254740991 ? floor(n) : 9007199254740991) : 0; };
	var toInt = function (n) { n = +n; return n !== n ? 0 : n < 0 ? -floor(-n) : floor(n); };
	var createData = function (o, k, v) {
		if (!rdefine(o, k, { value: v, writable: true, enumerable: true, configurable: true })) {
			throw new RealTypeError("Cannot add property " + k + ", object is not extensible");
		}
	};

	// Proxies made by the function's code: their traps can answer differently each time.
	var proxies = new RealWeakSet();
	var isProxy = RealWeakSet.prototype.has.bind(proxies);
	var addProxy = RealWeakSet.prototype.add.bind(proxies);
	var ProxyG = new RealProxy(RealProxy, {
		construct: function (t, args, nt) {
			var p = construct(t, args, nt === ProxyG ? t : nt);
			addProxy(p);
			return p;
		},
	});
	var realRevocable = RealProxy.revocable;
	define(RealProxy, "revocable", named(({ revocable(target, handler) {
		var r = apply(realRevocable, RealProxy, [target, handler]);
		addProxy(r.proxy);
		return r;
	} }).revocable, 2));
	G.Proxy = ProxyG;

	// goja's instanceof does not see through a proxy to the function it wraps: the constructors
	// wrapped below get their own Symbol.hasInstance (OrdinaryHasInstance).
	var hasInstance = named(({ [Symbol.hasInstance](v) {
		if (!isObject(v)) return false;
		var proto = this.prototype;
		if (!isObject(proto)) throw new RealTypeError("Function has non-object prototype in instanceof check");
		for (var p = getPrototypeOf(v); p !== null; p = getPrototypeOf(p)) {
			if (p === proto) return true;
		}
		return false;
	} })[Symbol.hasInstance], 1);
	var wrapped = function (Real, handler) {
		defineProperty(Real, Symbol.hasInstance, { value: hasInstance, writable: false, enumerable: false, configurable: false });
		return new RealProxy(Real, handler);
	};

	var TA_PROTO = getPrototypeOf(Uint8Array.prototype);
	var TA_LENGTH = gOPD(TA_PROTO, "length").get, TA_BUFFER = gOPD(TA_PROTO, "buffer").get;
	var TA_OFFSET = gOPD(TA_PROTO, "byteOffset").get, TA_TAG = gOPD(TA_PROTO, Symbol.toStringTag).get;
	var AB_PROTO = ArrayBuffer.prototype, AB_LENGTH = gOPD(AB_PROTO, "byteLength").get;
	var RX_SOURCE = gOPD(RP, "source").get, STR_VALUEOF = SP.valueOf;
	var isView = ArrayBuffer.isView;
	var callTaLength = caller(TA_LENGTH), callAbLength = caller(AB_LENGTH), callRxSource = caller(RX_SOURCE);
	var taLength = function (o) {
		try {
			return callTaLength(o);
		} catch (e) {
			return -1;
		}
	};
	var abLength = function (o) {
		if (isProxy(o) || (getPrototypeOf(o) !== AB_PROTO && !brand(AB_LENGTH, o))) return -1;
		return callAbLength(o);
	};
	// rxSource is the pattern of a RegExp, null for anything else.
	var rxSource = function (v) {
		try {
			return callRxSource(v);
		} catch (e) {
			return null;
		}
	};

	// stableLength: reading o.length runs none of the function's code and gives a number.
	var stableLength = function (o) {
		for (var p = o; p !== null; p = getPrototypeOf(p)) {
			if (isProxy(p)) return false;
			var d = gOPD(p, "length");
			if (d !== undefined) return "value" in d ? typeof d.value === "number" : d.get === TA_LENGTH;
		}
		return true;
	};
	// pin is o seen through a proxy whose length is n, so that a built-in reads the length that
	// was checked.
	var pin = function (o, n) {
		return new RealProxy(o, {
			get: function (t, k) { return k === "length" ? n : rget(t, k); },
			set: function (t, k, v) { return rset(t, k, v); },
		});
	};
	// lenOf checks the length of o, the this or an argument of a built-in, against max, and
	// returns what to give the built-in: o, or, when the length is a getter or a proxy trap that
	// could answer differently when the built-in reads it, o pinned to the length read here.
	// lastLen is set to that length.
	var lastLen = 0;
	var lenOf = function (o, max, what) {
		var n;
		if (isArray(o) && !isProxy(o)) {
			n = o.length;
		} else if (typeof o === "string") {
			n = o.length;
		} else if (!isObject(o)) {
			lastLen = 0;
			return o;
		} else if (stableLength(o)) {
			n = toLen(o.length);
		} else {
			var raw = o.length;
			n = toLen(typeof raw === "number" ? raw : +raw);
			if (n > max) tooBig(what);
			lastLen = n;
			return pin(o, n);
		}
		if (n > max) tooBig(what);
		lastLen = n;
		return o;
	};
	var plainArray = function (o) {
		return isArray(o) && !isProxy(o) && getPrototypeOf(o) === AP && !hasOwn(o, SYM_SPREAD);
	};
	// arrayResult: ArraySpeciesCreate(o, n) makes an Array (o is an ordinary array whose
	// constructor is Array's), not some object of a species constructor.
	var arrayResult = function (o) {
		return !isArray(o) || (!isProxy(o) && getPrototypeOf(o) === AP && !hasOwn(o, "constructor"));
	};
	// elementsOf: whether writing n elements to o fills an array's (or a typed array's) elements
	// rather than making properties.
	var elementsOf = function (o) {
		return typeof o === "string" || isArray(o) || isView(o);
	};
	// speciesCreate is ArraySpeciesCreate(o, n).
	var speciesCreate = function (o, n) {
		if (!isArray(o)) return new RealArray(n);
		var C = o.constructor;
		if (isObject(C)) {
			C = C[SYM_SPECIES];
			if (C === null) C = undefined;
		}
		if (C === undefined) return new RealArray(n);
		if (typeof C !== "function") throw new RealTypeError("Species is not a constructor");
		return new C(n);
	};

	// -- ArrayBuffer, typed arrays: the constructors check the size. --
	var checkBytes = function (args, elem, what) {
		if (args.length === 0) return args;
		var a = args[0], n;
		if (!isObject(a)) {
			if (toLen(+a) > MAX_BYTES / elem) tooBig(what);
			return args;
		}
		if (isArray(a) && !isProxy(a)) {
			if (a.length > MAX_BYTES / elem) tooBig(what);
			return args;
		}
		if (isView(a) && (n = taLength(a)) >= 0) {
			if (n > MAX_BYTES / elem) tooBig(what);
			return args;
		}
		if ((n = abLength(a)) >= 0) {
			if (n > MAX_BYTES) tooBig(what);
			return args;
		}
		var g = lenOf(a, floor(MAX_BYTES / elem), what);
		return g === a ? args : [g];
	};
	var RealAB = ArrayBuffer;
	var ABG = wrapped(RealAB, {
		construct: function (t, args, nt) {
			if (args.length > 0) {
				var n = +args[0];
				if (toLen(n) > MAX_BYTES) tooBig("ArrayBuffer");
				if (nt === ABG) return new RealAB(n);
				args = [n];
			}
			return construct(t, args, nt === ABG ? t : nt);
		},
	});
	define(AB_PROTO, "constructor", ABG);
	G.ArrayBuffer = ABG;
	if (typeof SharedArrayBuffer === "function") {
		var RealSAB = SharedArrayBuffer;
		var SABG = wrapped(RealSAB, {
			construct: function (t, args, nt) {
				if (args.length > 0) {
					var n = +args[0];
					if (toLen(n) > MAX_BYTES) tooBig("SharedArrayBuffer");
					args = [n];
				}
				return construct(t, args, nt === SABG ? t : nt);
			},
		});
		define(RealSAB.prototype, "constructor", SABG);
		G.SharedArrayBuffer = SABG;
	}
	var TA_REAL = Object.create(null), TA_DIGITS = Object.create(null);
	[["Int8Array", 4], ["Uint8Array", 3], ["Uint8ClampedArray", 3], ["Int16Array", 6], ["Uint16Array", 5],
		["Int32Array", 11], ["Uint32Array", 10], ["Float32Array", 25], ["Float64Array", 25]].forEach(function (t) {
		var name = t[0], Real = G[name];
		if (typeof Real !== "function") return;
		TA_REAL[name] = Real;
		TA_DIGITS[name] = t[1];
		var elem = Real.BYTES_PER_ELEMENT;
		var P = wrapped(Real, {
			construct: function (t, args, nt) {
				args = checkBytes(args, elem, name);
				if (nt !== P) return construct(t, args, nt);
				return args.length === 0 ? new Real() : new Real(args[0], args[1], args[2]);
			},
		});
		define(Real.prototype, "constructor", P);
		G[name] = P;
	});
	// join and toLocaleString: the result is at most n digits an element and the separators;
	// when that could be too long, the elements are joined a chunk at a time.
	var realTaJoin = TA_PROTO.join, realTaLocale = TA_PROTO.toLocaleString;
	var taJoin = function (self, sepArg, locale, what, orig) {
		var n = taLength(self);
		if (n < 0) return invoke(orig, self, sepArg);
		var sep = locale || sepArg === undefined ? "," : typeof sepArg === "string" ? sepArg : `${sepArg}`;
		if (n === 0) return "";
		if ((n - 1) * sep.length > MAX_STR) tooBig(what);
		// toLocaleString may group the digits (1,234,567).
		var name = apply(TA_TAG, self, NONE), digits = TA_DIGITS[name];
		if (locale) digits = name.charAt(0) === "F" ? 40 : digits + floor((digits + 2) / 3);
		if (n * digits + (n - 1) * sep.length <= MAX_STR) return invoke(orig, self, sep);
		var Real = TA_REAL[name], size = Real.BYTES_PER_ELEMENT;
		var buf = apply(TA_BUFFER, self, NONE), off = apply(TA_OFFSET, self, NONE);
		var per = floor(MAX_STR / (digits + sep.length)) || 1, parts = [], total = 0;
		for (var i = 0; i < n; i += per) {
			var part = invoke(orig, construct(Real, [buf, off + i * size, n - i < per ? n - i : per]), sep);
			total += part.length + (i > 0 ? sep.length : 0);
			if (total > MAX_STR) tooBig(what);
			parts[parts.length] = part;
		}
		return callJoin(parts, sep);
	};
	define(TA_PROTO, "join", named(({ join(separator) {
		return taJoin(this, separator, false, "TypedArray.prototype.join", realTaJoin);
	} }).join, 1));
	define(TA_PROTO, "toLocaleString", named(({ toLocaleString() {
		return taJoin(this, undefined, true, "TypedArray.prototype.toLocaleString", realTaLocale);
	} }).toLocaleString, 0));

	// -- Arrays --
	var checkArrayArgs = function (args) {
		if (args.length === 1 && typeof args[0] === "number" && args[0] > MAX_LEN) tooBig("Array");
	};
	var ArrayG = wrapped(RealArray, {
		apply: function (t, self, args) {
			checkArrayArgs(args);
			return apply(t, self, args);
		},
		construct: function (t, args, nt) {
			checkArrayArgs(args);
			if (nt !== ArrayG) return construct(t, args, nt);
			return args.length === 0 ? new RealArray() : args.length === 1 ? new RealArray(args[0]) : construct(t, args, t);
		},
	});
	// The species of Array is the real Array, so that map, filter, slice, splice, concat and
	// flat make their result without a trip through the proxy. It is safe to give out: the real
	// Array's from and of are the ones below, and an array made with a length allocates nothing.
	defineProperty(RealArray, SYM_SPECIES, {
		get: gOPD({ get [SYM_SPECIES]() { return this === ArrayG ? RealArray : this; } }, SYM_SPECIES).get,
		enumerable: false,
		configurable: true,
	});
	var realFrom = RealArray.from, realOf = RealArray.of;
	// makesArrays: C is Array or extends it.
	var makesArrays = function (C) {
		for (var p = C; isObject(p) && !isProxy(p); p = getPrototypeOf(p)) {
			if (p === ArrayG || p === RealArray) return true;
		}
		return false;
	};
	var callFrom = caller(realFrom);
	define(RealArray, "from", named(({ from(items, mapFn, thisArg) {
		var g = isObject(items) || typeof items === "string" ? lenOf(items, makesArrays(this) ? MAX_LEN : MAX_PROPS, "Array.from") : items;
		return callFrom(this === ArrayG ? RealArray : this, g, mapFn, thisArg);
	} }).from, 1));
	define(RealArray, "of", named(({ of() {
		if (arguments.length > MAX_PROPS && !makesArrays(this)) tooBig("Array.of");
		return apply(realOf, this === ArrayG ? RealArray : this, arguments);
	} }).of, 0));
	define(AP, "constructor", ArrayG);
	G.Array = ArrayG;

	// Methods that loop natively over this.length, or make an array that long: this.length is
	// checked (and pinned when reading it runs code).
	var guard = function (name) {
		var orig = AP[name];
		if (typeof orig !== "function") return;
		var what = "Array.prototype." + name, writes = WRITES[name] === 1, species = SPECIES[name] === 1;
		var call = caller(orig), w;
		if (COUNTED[name] === 1) {
			w = ({ [name]() {
				var max = (writes && !elementsOf(this)) || (species && !arrayResult(this)) ? MAX_PROPS : MAX_LEN;
				var o = this == null ? this : lenOf(this, max, what);
				var r = apply(orig, o, arguments);
				return r === o && o !== this ? this : r;
			} })[name];
		} else {
			w = ({ [name](a, b, c) {
				var max = (writes && !elementsOf(this)) || (species && !arrayResult(this)) ? MAX_PROPS : MAX_LEN;
				var o = this == null ? this : lenOf(this, max, what);
				var r = call(o, a, b, c);
				return r === o && o !== this ? this : r;
			} })[name];
		}
		define(AP, name, named(w, orig.length));
	};
	// The methods that write this's elements, those that make their result with the species
	// constructor, and those that tell an argument left out from one given as undefined (the
	// others are called with all three).
	var WRITES = { copyWithin: 1, fill: 1, reverse: 1, shift: 1, sort: 1, splice: 1, unshift: 1 };
	var SPECIES = { filter: 1, map: 1, slice: 1, splice: 1 };
	var COUNTED = { lastIndexOf: 1, reduce: 1, reduceRight: 1, splice: 1, toSpliced: 1, unshift: 1 };
	// values (Array.prototype[Symbol.iterator]) is left alone: goja copies a plain array it
	// iterates (Array.from, new Set) without calling it, which it would not do for a wrapper.
	// Iterating an array is bounded by the compute budget (next, below) instead.
	["copyWithin", "entries", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex",
		"forEach", "includes", "indexOf", "keys", "lastIndexOf", "map", "reduce", "reduceRight", "reverse",
		"shift", "slice", "some", "sort", "splice", "toReversed", "toSorted", "toSpliced", "unshift"].forEach(guard);
	var realWith = AP["with"], callWith = typeof realWith === "function" ? caller(realWith) : null;
	if (typeof realWith === "function") {
		define(AP, "with", named(({ with(index, value) {
			if (this == null) return callWith(this, index, value);
			var i = +index; // goja reads the index before the length
			return callWith(lenOf(this, MAX_LEN, "Array.prototype.with"), i, value);
		} }).with, 2));
	}
	// Every step of an array iterator calls into JavaScript, so that spreading or iterating an
	// array whose length grows meanwhile (or was set to 1e9 after the iterator was made) stays
	// under the compute budget.
	var ArrayIteratorProto = getPrototypeOf(apply(AP.values, [], NONE));
	var callArrayNext = caller(ArrayIteratorProto.next);
	define(ArrayIteratorProto, "next", named(({ next() { return callArrayNext(this); } }).next, 0));

	// join and toLocaleString: the elements are read here, one at a time, and while they are
	// primitives (whose strings run no code) turned into strings and counted; the strings are
	// then joined by goja. Past the first object, goja gets the elements from a proxy that
	// turns each into its string and counts it. The proxy for an array is always the same one,
	// so that goja's check for an array that holds itself still works.
	var joining = [], joinDepth = 0; // the objects being joined
	var jLen = 0, jTotal = 0, jLocale = false, jWhat = "", jPre = -1, jVals = null, jFirst;
	var joinHandler = {
		get: function (t, k) {
			if (k === "length") return jLen;
			var i = +k, v;
			if (i < jPre) return jVals[i];
			v = i === jPre ? jFirst : rget(t, k);
			if (v === undefined || v === null) return v;
			var s;
			if (jLocale) {
				var f = v.toLocaleString;
				if (typeof f !== "function") throw new RealTypeError("Property 'toLocaleString' of object " + String(v) + " is not a function");
				s = invoke(f, v);
				if (typeof s !== "string") s = `${s}`;
			} else {
				s = typeof v === "string" ? v : `${v}`;
			}
			if ((jTotal += s.length) > MAX_STR) tooBig(jWhat);
			return s;
		},
	};
	var joinViews = new RealWeakMap();
	var callRealJoin = caller(AP.join), callRealToLocale = caller(AP.toLocaleString);
	var joinWith = function (self, separator, locale, what) {
		if (self == null) return locale ? callRealToLocale(self) : callRealJoin(self);
		var o = isObject(self) ? self : Object(self);
		// An array being joined that holds itself is joined as "", as goja does. No nesting goes
		// deeper than 256 (the call stack ends first): past that, the entries are left over from
		// an error that cannot be caught (a stack overflow), and are dropped.
		if (joinDepth > 256) joinDepth = 0;
		for (var d = 0; d < joinDepth; d++) {
			if (joining[d] === o) return "";
		}
		var raw = o.length, n = toLen(typeof raw === "number" ? raw : +raw);
		if (n > MAX_LEN) tooBig(what);
		var sep = locale || separator === undefined ? "," : typeof separator === "string" ? separator : `${separator}`;
		var total = n > 1 ? (n - 1) * sep.length : 0;
		if (total > MAX_STR) tooBig(what);
		var depth = joinDepth, vals = [], i = 0, v;
		joining[depth] = o;
		joinDepth = depth + 1;
		try {
			if (!locale) {
				for (; i < n; i++) {
					v = o[i];
					var t = typeof v;
					if (t === "string") {
						if ((total += v.length) > MAX_STR) tooBig(what);
					} else if (v === undefined || v === null) {
						v = "";
					} else if (t === "number" || t === "boolean") {
						v = "" + v;
						total += v.length;
					} else {
						break;
					}
					vals[i] = v;
				}
				if (i === n) return callJoin(vals, sep);
			}
			var view = o === self ? joinViews.get(o) : undefined;
			if (view === undefined) {
				view = new RealProxy(o, joinHandler);
				if (o === self) joinViews.set(o, view);
			}
			// The elements before jPre are in jVals, the one at jPre is jFirst.
			var s0 = jLen, s1 = jTotal, s2 = jLocale, s3 = jWhat, s4 = jPre, s5 = jVals, s6 = jFirst;
			jLen = n;
			jTotal = total;
			jLocale = locale;
			jWhat = what;
			jPre = locale ? -1 : i;
			jVals = vals;
			jFirst = v;
			try {
				return locale ? callRealToLocale(view) : callRealJoin(view, sep);
			} finally {
				jLen = s0;
				jTotal = s1;
				jLocale = s2;
				jWhat = s3;
				jPre = s4;
				jVals = s5;
				jFirst = s6;
			}
		} finally {
			joining[depth] = undefined;
			joinDepth = depth;
		}
	};
	define(AP, "join", named(({ join(separator) {
		return joinWith(this, separator, false, "Array.prototype.join");
	} }).join, 1));
	define(AP, "toLocaleString", named(({ toLocaleString() {
		return joinWith(this, undefined, true, "Array.prototype.toLocaleString");
	} }).toLocaleString, 0));

	// concat: the lengths are added up first; anything whose spreading or length could change
	// when goja reads it again is concatenated here.
	var realConcat = AP.concat;
	var plainItem = function (x) {
		if (!isObject(x)) return 1;
		if (plainArray(x)) return x.length;
		if (isArray(x)) return -1;
		for (var p = x; p !== null; p = getPrototypeOf(p)) {
			if (isProxy(p) || hasOwn(p, SYM_SPREAD)) return -1;
		}
		return 1;
	};
	var concatJS = function (O, items) {
		var A = speciesCreate(O, 0), n = 0, max = isArray(A) ? MAX_LEN : MAX_PROPS;
		for (var i = -1; i < items.length; i++) {
			var E = i < 0 ? O : items[i], spreadable = false;
			if (isObject(E)) {
				var s = E[SYM_SPREAD];
				spreadable = s !== undefined ? !!s : isArray(E);
			}
			if (spreadable) {
				var len = toLen(+E.length);
				if (n + len > max) tooBig("Array.prototype.concat");
				for (var k = 0; k < len; k++, n++) {
					if (k in E) createData(A, n, E[k]);
				}
			} else {
				if (n >= max) tooBig("Array.prototype.concat");
				createData(A, n++, E);
			}
		}
		A.length = n;
		return A;
	};
	define(AP, "concat", named(({ concat() {
		if (this == null) return apply(realConcat, this, arguments);
		var n = arrayResult(this) ? plainItem(this) : -1;
		for (var i = 0; i < arguments.length && n >= 0; i++) {
			var m = plainItem(arguments[i]);
			n = m < 0 ? m : n + m;
		}
		if (n < 0) return concatJS(Object(this), arguments);
		if (n > MAX_LEN) tooBig("Array.prototype.concat");
		return apply(realConcat, this, arguments);
	} }).concat, 1));

	// flat runs here, so that every array it descends into is checked; flatMap checks what the
	// callback returns.
	var realFlat = AP.flat, realFlatMap = AP.flatMap;
	var flatten = function (target, plain, source, sourceLen, start, depth, max) {
		var ti = start;
		for (var si = 0; si < sourceLen; si++) {
			if (!(si in source)) continue;
			var el = source[si];
			if (depth > 0 && isArray(el)) {
				var g = lenOf(el, MAX_LEN, "Array.prototype.flat");
				ti = flatten(target, plain, g, lastLen, ti, depth - 1, max);
			} else {
				if (ti >= max) tooBig("Array.prototype.flat");
				if (plain) target[ti] = el;
				else createData(target, ti, el);
				ti++;
			}
		}
		return ti;
	};
	if (typeof realFlat === "function") {
		define(AP, "flat", named(({ flat(depth) {
			if (this == null) return apply(realFlat, this, arguments);
			var O = isObject(this) ? this : Object(this);
			var src = lenOf(O, MAX_LEN, "Array.prototype.flat"), n = lastLen;
			var d = arguments.length > 0 ? toInt(depth) : 1; // as goja: flat(undefined) is flat(0)
			var A = speciesCreate(O, 0);
			flatten(A, isArray(A) && !isProxy(A) && getPrototypeOf(A) === AP, src, n, 0, d, isArray(A) ? MAX_LEN : MAX_PROPS);
			return A;
		} }).flat, 0));
	}
	if (typeof realFlatMap === "function") {
		define(AP, "flatMap", named(({ flatMap(callback, thisArg) {
			if (this == null || typeof callback !== "function") return apply(realFlatMap, this, arguments);
			var max = arrayResult(this) ? MAX_LEN : MAX_PROPS;
			var self = this, o = lenOf(this, max, "Array.prototype.flatMap"), total = 0;
			var mapper = function (el, i, arr) {
				var r = invoke(callback, this, el, i, arr === o ? self : arr);
				if (isArray(r)) {
					var g = lenOf(r, max, "Array.prototype.flatMap");
					if ((total += lastLen) > max) tooBig("Array.prototype.flatMap");
					return g;
				}
				if (++total > max) tooBig("Array.prototype.flatMap");
				return r;
			};
			return invoke(realFlatMap, o, mapper, thisArg);
		} }).flatMap, 1));
	}

	// -- Function.prototype.apply, Reflect.apply, Reflect.construct: the argument list. --
	var argList = function (a, what) { return isObject(a) ? lenOf(a, MAX_LEN, what) : a; };
	var FP = Function.prototype;
	define(FP, "apply", named(({ apply(thisArg, argArray) {
		return apply(this, thisArg, argArray == null ? NONE : argList(argArray, "Function.prototype.apply"));
	} }).apply, 2));
	define(Reflect, "apply", named(({ apply(target, thisArg, argumentsList) {
		return apply(target, thisArg, argList(argumentsList, "Reflect.apply"));
	} }).apply, 3));
	define(Reflect, "construct", named(({ construct(target, argumentsList, newTarget) {
		var args = argList(argumentsList, "Reflect.construct");
		return arguments.length < 3 ? construct(target, args) : construct(target, args, newTarget);
	} }).construct, 2));

	// -- Objects: the keys of a typed array or a string are one an element. --
	var virtualCount = function (o, arrays) {
		if (typeof o === "string") return o.length;
		if (!isObject(o) || isProxy(o)) return 0;
		if (isArray(o)) return arrays ? o.length : 0;
		if (isView(o)) return taLength(o);
		if (hasOwn(o, "length") && brand(STR_VALUEOF, o)) return invoke(STR_VALUEOF, o).length;
		return 0;
	};
	// keysGuard: the elements of the arguments from first on become keys (MAX_LEN), or, with
	// props, properties of an object or objects (MAX_PROPS).
	var keysGuard = function (obj, name, first, props) {
		var orig = obj[name], what = (obj === Reflect ? "Reflect." : "Object.") + name, call = caller(orig);
		define(obj, name, named(name === "assign" ? ({ [name]() {
			var max = isArray(arguments[0]) ? MAX_LEN : MAX_PROPS;
			for (var i = 1; i < arguments.length; i++) {
				if (virtualCount(arguments[i], true) > max) tooBig(what);
			}
			return apply(orig, obj, arguments);
		} })[name] : ({ [name](a, b) {
			if (virtualCount(first === 0 ? a : b, props) > (props ? MAX_PROPS : MAX_LEN)) tooBig(what);
			return call(obj, a, b);
		} })[name], orig.length));
	};
	keysGuard(Object, "keys", 0, false);
	keysGuard(Object, "values", 0, false);
	keysGuard(Object, "entries", 0, true);
	keysGuard(Object, "getOwnPropertyNames", 0, false);
	keysGuard(Object, "getOwnPropertyDescriptors", 0, true);
	keysGuard(Reflect, "ownKeys", 0, false);
	keysGuard(Object, "assign", 1, true);
	keysGuard(Object, "defineProperties", 1, false);
	keysGuard(Object, "create", 1, false);

	// -- Symbol.for: goja's registry of symbols lasts as long as the runtime, over every run it
	// serves, and keeps each key: a function registering new keys (a long string with a
	// counter) would fill the memory a run at a time. The registry is kept here instead, and
	// emptied when it holds MAX_PROPS symbols or keys of MAX_STR characters in all (CloudFront
	// starts each request with an empty one). --
	var registry = new Map(), registered = new Map(), registryChars = 0;
	var mapGet = caller(Map.prototype.get), mapSet = caller(Map.prototype.set), mapClear = caller(Map.prototype.clear);
	var mapSize = caller(gOPD(Map.prototype, "size").get), RealSymbol = Symbol;
	define(RealSymbol, "for", named(({ for(key) {
		var k = str(key), s = mapGet(registry, k);
		if (s !== undefined) return s;
		if (mapSize(registry) >= MAX_PROPS || registryChars + k.length > MAX_STR) {
			mapClear(registry);
			mapClear(registered);
			registryChars = 0;
		}
		s = RealSymbol(k);
		mapSet(registry, k, s);
		mapSet(registered, s, k);
		registryChars += k.length;
		return s;
	} }).for, 1));
	define(RealSymbol, "keyFor", named(({ keyFor(sym) {
		if (typeof sym !== "symbol") throw new RealTypeError(String(sym) + " is not a symbol");
		return mapGet(registered, sym);
	} }).keyFor, 1));

	// -- No BigInt: neither runtime has it
	// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html),
	// and its arithmetic runs natively on numbers as large as the code asks for (1n << 1000000000n
	// took 1.9 s and 241 MB). A BigInt literal does not compile (function.go); nothing else makes
	// one once the BigInt function, the BigInt typed arrays and DataView's BigInt accessors are
	// gone. --
	delete G.BigInt;
	delete G.BigInt64Array;
	delete G.BigUint64Array;
	["getBigInt64", "getBigUint64", "setBigInt64", "setBigUint64"].forEach(function (k) {
		delete DataView.prototype[k];
	});

	// -- Strings --
	var str = function (v) { return typeof v === "string" ? v : `${v}`; };
	var realRepeat = SP.repeat, realPadStart = SP.padStart, realPadEnd = SP.padEnd, realStrConcat = SP.concat;
	define(SP, "repeat", named(({ repeat(count) {
		if (this == null) return invoke(realRepeat, this, count);
		var s = str(this), n = +count;
		if (n < Infinity && s.length * floor(n) > MAX_STR) tooBig("String.prototype.repeat");
		return invoke(realRepeat, s, n);
	} }).repeat, 1));
	var pad = function (self, maxLength, fillString, orig, what) {
		if (self == null) return invoke(orig, self);
		var s = str(self), m = toLen(+maxLength);
		if (m > s.length && m > MAX_STR) {
			var f = fillString === undefined ? " " : str(fillString);
			if (f === "") return s;
			tooBig(what);
		}
		return invoke(orig, s, m, fillString);
	};
	define(SP, "padStart", named(({ padStart(maxLength, fillString) {
		return pad(this, maxLength, fillString, realPadStart, "String.prototype.padStart");
	} }).padStart, 1));
	define(SP, "padEnd", named(({ padEnd(maxLength, fillString) {
		return pad(this, maxLength, fillString, realPadEnd, "String.prototype.padEnd");
	} }).padEnd, 1));
	define(SP, "concat", named(({ concat() {
		if (this == null) return apply(realStrConcat, this, arguments);
		var s = str(this), total = s.length, parts = [];
		for (var i = 0; i < arguments.length; i++) {
			var a = str(arguments[i]);
			if ((total += a.length) > MAX_STR) tooBig("String.prototype.concat");
			parts[parts.length] = a;
		}
		return apply(realStrConcat, s, parts);
	} }).concat, 1));
	var realStrIter = SP[SYM_ITERATOR];
	define(SP, SYM_ITERATOR, named(({ [SYM_ITERATOR]() {
		if (this == null) return invoke(realStrIter, this);
		var s = str(this);
		if (s.length > MAX_LEN) tooBig("String.prototype[Symbol.iterator]");
		return invoke(realStrIter, s);
	} })[SYM_ITERATOR], 0));
	var realRaw = String.raw;
	define(String, "raw", named(({ raw(template) {
		if (template == null) return apply(realRaw, String, arguments);
		var literals = template.raw;
		if (literals == null) throw new RealTypeError("Cannot convert undefined or null to object");
		var n = toLen(+literals.length), parts = [], total = 0;
		for (var i = 0; i < n; i++) {
			var p = str(literals[i]);
			if ((total += p.length) > MAX_STR) tooBig("String.raw");
			parts[parts.length] = p;
			if (i + 1 < n && i + 1 < arguments.length) {
				p = str(arguments[i + 1]);
				if ((total += p.length) > MAX_STR) tooBig("String.raw");
				parts[parts.length] = p;
			}
		}
		return callJoin(parts, "");
	} }).raw, 1));

	// -- Regular expressions --
	// Compiling and matching run natively, where the budget cannot interrupt them (regexp.go).
	// go.rxCost(source, flags) is what matching the pattern costs a character of the subject
	// (0 when goja runs it with regexp2, whose matches RegexpMatchTimeout bounds; -1 when goja
	// refuses the pattern), or, for a pattern over the limits of compiling, why (a string).
	// A pattern is checked before goja compiles it: by the constructor, compile, and the String
	// methods that make a RegExp of a string. Every match goes through exec or test, which
	// go.exec and go.test guard (regexp_run.go): they refuse a match that could cost more than
	// MaxRegexpWork. Replacing exec turns off goja's fast paths, which matched without calling
	// it; its slow paths call exec for each match from a native loop, which the budget cannot
	// stop either. So Symbol.match, replace, split and matchAll run here, a match at a time,
	// (goja's search, which matches once, is left), and, for a RegExp as made, in Go, as goja's
	// fast paths ran, when Go can bound the work (regexp_run.go).
	var rxCostGo = go.rxCost, rxForgetGo = go.rxForget;
	var rxSplitGo = go.rxSplit, rxMatchGo = go.rxMatch, rxReplaceGo = go.rxReplace;
	var FLAG_CHARS = "gimsuy";
	var flagGetters = ["global", "ignoreCase", "multiline", "dotAll", "unicode", "sticky"].map(function (n) {
		return caller(gOPD(RP, n).get);
	});
	// isRx: v is a RegExp (RegExp.prototype, whose source reads "(?:)", is not).
	var isRx = function (v) { return isObject(v) && v !== RP && rxSource(v) !== null; };
	// rxFlags: the flags a RegExp was compiled with (properties of its own cannot change them).
	var rxFlags = function (rx) {
		var f = "";
		for (var i = 0; i < 6; i++) {
			if (flagGetters[i](rx)) f += FLAG_CHARS.charAt(i);
		}
		return f;
	};
	// checkPattern checks a pattern goja is about to compile, and returns it.
	var checkPattern = function (src, flags, what) {
		var c = rxCostGo(src, flags);
		if (typeof c === "string") fail(what, c);
		return src;
	};
	var EXEC = named(go.exec, 1), TEST = named(go.test, 1);
	defineProperty(EXEC, "name", { value: "exec", configurable: true });
	defineProperty(TEST, "name", { value: "test", configurable: true });
	define(RP, "exec", EXEC);
	define(RP, "test", TEST);
	var callExec = caller(EXEC);
	var isRegExp = function (v) {
		if (!isObject(v)) return false;
		var m = v[SYM_MATCH];
		return m !== undefined ? !!m : rxSource(v) !== null;
	};
	// rxArgs checks the pattern that RegExp(pattern, flags) compiles, and returns the arguments
	// for goja: strings, so that goja compiles what was checked, without reading the arguments
	// again (a RegExp is compiled again from its source, where goja would copy it).
	var rxArgs = function (args) {
		var p = args[0], f = args[1], src, flags;
		if (isRegExp(p)) {
			var real = isRx(p);
			src = real ? rxSource(p) : str(p.source);
			flags = f !== undefined ? str(f) : real ? rxFlags(p) : str(p.flags);
		} else {
			src = p === undefined ? "" : str(p);
			flags = f === undefined ? "" : str(f);
		}
		return [checkPattern(src, flags, "RegExp"), flags];
	};
	var RegExpG = wrapped(RealRegExp, {
		apply: function (t, self, args) {
			var p = args[0];
			if (args[1] === undefined && isRx(p) && isRegExp(p) && p.constructor === RegExpG) return p;
			return apply(t, self, rxArgs(args));
		},
		construct: function (t, args, nt) {
			return construct(t, rxArgs(args), nt === RegExpG ? t : nt);
		},
	});
	define(RP, "constructor", RegExpG);
	G.RegExp = RegExpG;
	var realCompile = RP.compile;
	if (typeof realCompile === "function") {
		define(RP, "compile", named(({ compile(pattern, flags) {
			if (!isRx(this)) return apply(realCompile, this, arguments);
			var args;
			if (isRx(pattern)) { // goja copies its pattern (and refuses flags)
				args = [pattern, flags];
			} else {
				var fl = flags === undefined ? "" : str(flags);
				args = [checkPattern(pattern === undefined ? "" : str(pattern), fl, "RegExp.prototype.compile"), fl];
			}
			try {
				return apply(realCompile, this, args);
			} finally {
				rxForgetGo(this);
			}
		} }).compile, 2));
	}
	var parens = function (src) {
		var n = 0;
		for (var i = src.indexOf("("); i >= 0; i = src.indexOf("(", i + 1)) n++;
		return n;
	};
	// nativeOK: Go may run a global operation of rx on s (it collects every match first).
	var nativeOK = function (rx, s) {
		var src = rxSource(rx);
		return src !== null && rx.exec === EXEC && (s.length + 1) * (parens(src) + 1) <= FAST_CELLS;
	};
	// rxExec is RegExpExec: rx's exec, or the built-in one (bounded) when that is not a function.
	var rxExec = function (rx, s) {
		var exec = rx.exec;
		if (exec === EXEC) return callExec(rx, s);
		if (typeof exec !== "function") {
			if (isRx(rx)) return callExec(rx, s);
			throw new RealTypeError("exec is not a function");
		}
		var r = invoke(exec, rx, s);
		if (r !== null && !isObject(r)) throw new RealTypeError("RegExp exec method returned something other than an Object or null");
		return r;
	};
	var advance = function (s, i, unicode) {
		if (!unicode || i + 1 >= s.length) return i + 1;
		return i + (s.codePointAt(i) > 0xffff ? 2 : 1);
	};
	// expand is GetSubstitution as goja does it (no $<name>): the replacement of one match by
	// the template tpl, whose length is added to c.total.
	var expand = function (tpl, s, position, caps, c) {
		var out = [], i = 0, rl = tpl.length, nc = caps.length, matched = caps[0], tail = position + matched.length;
		while (i < rl) {
			var j = tpl.indexOf("$", i), piece;
			if (j < 0 || j === rl - 1) {
				piece = tpl.slice(i);
				i = rl;
			} else if (j > i) {
				piece = tpl.slice(i, j);
				i = j;
			} else {
				var ch = tpl.charCodeAt(j + 1);
				i = j + 2;
				if (ch === 36) {
					piece = "$";
				} else if (ch === 96) {
					piece = s.slice(0, position);
				} else if (ch === 39) {
					piece = tail < s.length ? s.slice(tail) : "";
				} else if (ch === 38) {
					piece = matched;
				} else {
					var num = 0, k = j + 1;
					while (k < rl) {
						var d = tpl.charCodeAt(k) - 48;
						if (d < 0 || d > 9 || num * 10 + d >= nc) break;
						num = num * 10 + d;
						k++;
					}
					if (num > 0) {
						piece = caps[num] === undefined ? "" : caps[num];
						i = k;
					} else {
						piece = "$" + tpl.charAt(j + 1);
					}
				}
			}
			if ((c.total += piece.length) > MAX_STR) tooBig(c.what);
			out[out.length] = piece;
		}
		return callJoin(out, "");
	};
	// templateBound is the longest result of replacing up to count matches in s by the template
	// tpl. The matches do not overlap, so all the $& together are at most s long, and so are the
	// captures of a group ($1) unless the pattern looks around (free: the captures stay inside
	// their match); $` and $' are up to s each time.
	var templateBound = function (s, tpl, count, src) {
		var i = tpl.indexOf("$");
		if (i < 0) return s.length + count * tpl.length;
		var lit = 0, amp = 0, cap = 0, side = 0, last = 0;
		for (; i >= 0 && i < tpl.length - 1; i = tpl.indexOf("$", i)) {
			lit += i - last;
			var ch = tpl.charCodeAt(i + 1);
			if (ch === 38) amp++;
			else if (ch === 96 || ch === 39) side++;
			else if (ch >= 48 && ch <= 57) cap++;
			else lit += 2;
			i += 2;
			last = i;
		}
		lit += tpl.length - last;
		var n = s.length;
		var free = cap === 0 || src === null || !LOOKAROUND.test(src);
		return n + count * lit + amp * n + (free ? cap * n : count * cap * n) + count * side * n;
	};
	var LOOKAROUND = /\(\?<?[=!]/;
	// templateFn and countedFn are replace functions for goja that count the result.
	var templateFn = function (tpl, s, c) {
		return function (matched) {
			var n = arguments.length, caps = [];
			for (var i = 0; i < n - 2; i++) caps[i] = arguments[i];
			c.total -= matched.length;
			return expand(tpl, s, arguments[n - 2], caps, c);
		};
	};
	var countedFn = function (fn, c, groups) {
		if (groups === 0) { // goja passes the match, its position and the string
			return function (matched, position, string) {
				var r = str(invoke(fn, undefined, matched, position, string));
				if ((c.total += r.length - matched.length) > MAX_STR) tooBig(c.what);
				return r;
			};
		}
		return function (matched) {
			var r = str(apply(fn, undefined, arguments));
			if ((c.total += r.length - matched.length) > MAX_STR) tooBig(c.what);
			return r;
		};
	};
	// replaceValue is what to give goja's replace for the template tpl or the function fn.
	// (src is the pattern, null for a string, groups its number of groups, c.what the builtin.)
	var replaceValue = function (s, fn, tpl, count, src, groups, what) {
		if (fn === null && templateBound(s, tpl, count, src) <= MAX_STR) return tpl;
		var c = { total: s.length, what: what };
		return fn !== null ? countedFn(fn, c, groups) : templateFn(tpl, s, c);
	};
	// RegExp.prototype[Symbol.replace], as goja's generic version does it.
	var rxReplaceJS = function (rx, s, fn, tpl, c, flags) {
		if (flags === undefined) flags = str(rx.flags);
		var global = flags.indexOf("g") >= 0, unicode = flags.indexOf("u") >= 0;
		var results = [], r;
		if (global) {
			rx.lastIndex = 0;
			while ((r = rxExec(rx, s)) !== null) {
				if (results.length >= MAX_LEN) tooBig(c.what);
				results[results.length] = r;
				if (str(r[0]).length === 0) rx.lastIndex = advance(s, toLen(+rx.lastIndex), unicode);
			}
		} else if ((r = rxExec(rx, s)) !== null) {
			results[results.length] = r;
		}
		var parts = [], next = 0;
		for (var i = 0; i < results.length; i++) {
			var res = results[i], nCaptures = toLen(+res.length) - 1;
			var matched = str(res[0]), position = toInt(res.index);
			position = position < 0 ? 0 : position > s.length ? s.length : position;
			var caps = [matched];
			for (var k = 1; k <= nCaptures; k++) {
				var cap = res[k];
				caps[caps.length] = cap === undefined ? cap : str(cap);
			}
			var replacement;
			if (fn !== null) {
				caps[caps.length] = position;
				caps[caps.length] = s;
				replacement = str(apply(fn, undefined, caps));
				if (position >= next && (c.total += replacement.length - matched.length) > MAX_STR) tooBig(c.what);
			} else if (position >= next) {
				c.total -= matched.length;
				replacement = expand(tpl, s, position, caps, c);
			}
			if (position >= next) {
				parts[parts.length] = s.slice(next, position);
				parts[parts.length] = replacement;
				next = position + matched.length;
			}
		}
		if (next < s.length) parts[parts.length] = s.slice(next);
		return callJoin(parts, "");
	};
	var realRxReplace = RP[SYM_REPLACE], realRxMatch = RP[SYM_MATCH], realRxSplit = RP[SYM_SPLIT];
	define(RP, SYM_REPLACE, named(({ [SYM_REPLACE](string, replaceValueArg) {
		var rx = this;
		if (!isObject(rx)) return invoke(realRxReplace, rx, string, replaceValueArg);
		var s = str(string), fn = typeof replaceValueArg === "function" ? replaceValueArg : null;
		var tpl = fn === null ? str(replaceValueArg) : null;
		var what = "RegExp.prototype[Symbol.replace]", src = rxSource(rx), groups = src === null ? 0 : parens(src);
		var fast = src !== null && rx.exec === EXEC && (s.length + 1) * (groups + 1) <= FAST_CELLS;
		var flags = str(rx.flags), count = flags.indexOf("g") >= 0 ? s.length + 1 : 1;
		// The replace runs here or in Go, never in goja's, whose loop calls exec natively for
		// each match (where the budget cannot stop it), reading flags again (which could then
		// say global for a RegExp whose exec then always finds the same match).
		if (fast && (fn !== null || replaceValue(s, null, tpl, count, src, groups, what) === tpl)) {
			var r = rxReplaceGo(rx, s, fn !== null ? fn : tpl);
			if (r !== undefined) return r;
		}
		return rxReplaceJS(rx, s, fn, tpl, { total: s.length, what: what }, flags);
	} })[SYM_REPLACE], 2));
	define(RP, SYM_MATCH, named(({ [SYM_MATCH](string) {
		var rx = this;
		if (!isObject(rx)) return invoke(realRxMatch, rx, string);
		var s = str(string), flags = str(rx.flags);
		if (flags.indexOf("g") < 0) return rxExec(rx, s);
		if (nativeOK(rx, s)) { // else here, a match at a time (not in goja's native loop)
			var m = rxMatchGo(rx, s);
			if (m !== undefined) return m;
		}
		var unicode = flags.indexOf("u") >= 0, a = [], r;
		rx.lastIndex = 0;
		while ((r = rxExec(rx, s)) !== null) {
			var m = str(r[0]);
			if (a.length >= MAX_LEN) tooBig("RegExp.prototype[Symbol.match]");
			a[a.length] = m;
			if (m.length === 0) rx.lastIndex = advance(s, toLen(+rx.lastIndex), unicode);
		}
		return a.length === 0 ? null : a;
	} })[SYM_MATCH], 1));
	var speciesConstructor = function (o, dflt) {
		var C = o.constructor;
		if (C === undefined) return dflt;
		if (!isObject(C)) throw new RealTypeError("object.constructor is not an object");
		var S = C[SYM_SPECIES];
		if (S == null) return dflt;
		if (typeof S !== "function") throw new RealTypeError("Species is not a constructor");
		return S;
	};
	// RegExp.prototype[Symbol.split] on a long subject, as the specification has it, except
	// that with the plain RegExp constructor the splitter searches (flag g) rather than trying
	// every position (flag y): the pieces are the same.
	var rxSplitJS = function (rx, s, lim) {
		var C = speciesConstructor(rx, RegExpG), flags = str(rx.flags), unicode = flags.indexOf("u") >= 0;
		var search = C === RegExpG && flags.indexOf("y") < 0;
		var splitter = new C(rx, search ? (flags.indexOf("g") < 0 ? flags + "g" : flags) : (flags.indexOf("y") < 0 ? flags + "y" : flags));
		var A = [], size = s.length, p = 0, q = 0, z;
		if (lim === 0) return A;
		if (size === 0) {
			if (rxExec(splitter, s) === null) A[A.length] = s;
			return A;
		}
		while (q < size) {
			splitter.lastIndex = q;
			z = rxExec(splitter, s);
			if (z === null) {
				if (search) break;
				q = advance(s, q, unicode);
				continue;
			}
			if (search) {
				q = toInt(z.index);
				if (q >= size) break;
			}
			var e = toLen(+splitter.lastIndex);
			if (e > size) e = size;
			if (e === p) {
				q = advance(s, q, unicode);
				continue;
			}
			A[A.length] = s.slice(p, q);
			if (A.length === lim) return A;
			p = e;
			var nc = toLen(+z.length) - 1;
			for (var i = 1; i <= nc; i++) {
				A[A.length] = z[i];
				if (A.length === lim) return A;
			}
			if (A.length > MAX_LEN) tooBig("RegExp.prototype[Symbol.split]");
			q = p;
		}
		A[A.length] = s.slice(p);
		return A;
	};
	// split runs here: goja's, which would try the splitter at every position, would call exec
	// at each. For a RegExp as made, Go finds the matches, as goja did (regexp_run.go), when it
	// can bound the work; so also for match and replace.
	define(RP, SYM_SPLIT, named(({ [SYM_SPLIT](string, limit) {
		var rx = this;
		if (!isObject(rx)) return invoke(realRxSplit, rx, string, limit);
		var s = str(string), lim = limit === undefined ? 4294967295 : limit >>> 0;
		if (nativeOK(rx, s)) {
			var a = rxSplitGo(rx, s, lim);
			if (a !== undefined) return a;
		}
		return rxSplitJS(rx, s, lim);
	} })[SYM_SPLIT], 2));
	// matchAll runs here, with iterators of goja's RegExp String Iterator prototype whose state
	// is kept here: goja's iterator runs the built-in exec natively when a matcher's exec is
	// not a function.
	var RegExpStringIteratorProto = getPrototypeOf(apply(RP[SYM_MATCHALL], /a/g, ["a"]));
	var iterators = new RealWeakMap(), objectCreate = Object.create;
	define(RP, SYM_MATCHALL, named(({ [SYM_MATCHALL](string) {
		var R = this;
		if (!isObject(R)) throw new RealTypeError("RegExp.prototype[Symbol.matchAll] called on a non-object");
		var s = str(string), C = speciesConstructor(R, RegExpG), flags = str(R.flags);
		var matcher = new C(R, flags);
		matcher.lastIndex = toLen(+R.lastIndex);
		var it = objectCreate(RegExpStringIteratorProto);
		iterators.set(it, { m: matcher, s: s, g: flags.indexOf("g") >= 0, u: flags.indexOf("u") >= 0, done: false });
		return it;
	} })[SYM_MATCHALL], 1));
	define(RegExpStringIteratorProto, "next", named(({ next() {
		var st = isObject(this) ? iterators.get(this) : undefined;
		if (st === undefined) throw new RealTypeError("Method RegExp String Iterator.prototype.next called on incompatible receiver");
		if (st.done) return { value: undefined, done: true };
		var match = rxExec(st.m, st.s);
		if (match === null || !st.g) {
			st.done = true;
			if (match === null) return { value: undefined, done: true };
			return { value: match, done: false };
		}
		if (str(match[0]).length === 0) st.m.lastIndex = advance(st.s, toLen(+st.m.lastIndex), st.u);
		return { value: match, done: false };
	} }).next, 0));

	// String methods that take a pattern: what a RegExp gets is handled above; a string
	// searched for is counted here.
	var realReplace = SP.replace, realReplaceAll = SP.replaceAll, realSplit = SP.split;
	var realMatch = SP.match, realMatchAll = SP.matchAll, realSearch = SP.search;
	var pattern = function (regexp, flags, what) { return regexp === undefined ? regexp : checkPattern(str(regexp), flags, what); };
	define(SP, "match", named(({ match(regexp) {
		if (this == null) return invoke(realMatch, this, regexp);
		if (isObject(regexp)) {
			var m = regexp[SYM_MATCH];
			if (m != null) return invoke(m, regexp, this);
		}
		return invoke(realMatch, this, pattern(regexp, "", "String.prototype.match"));
	} }).match, 1));
	define(SP, "search", named(({ search(regexp) {
		if (this == null) return invoke(realSearch, this, regexp);
		if (isObject(regexp)) {
			var m = regexp[SYM_SEARCH];
			if (m != null) return invoke(m, regexp, this);
		}
		return invoke(realSearch, this, pattern(regexp, "", "String.prototype.search"));
	} }).search, 1));
	var globalOnly = function (regexp, what) {
		if (isRegExp(regexp)) {
			var flags = regexp.flags;
			if (flags == null) throw new RealTypeError("Cannot convert undefined or null to object");
			if (str(flags).indexOf("g") < 0) throw new RealTypeError(what + " called with a non-global RegExp argument");
		}
	};
	define(SP, "matchAll", named(({ matchAll(regexp) {
		if (this == null) return invoke(realMatchAll, this, regexp);
		if (isObject(regexp)) {
			globalOnly(regexp, "String.prototype.matchAll");
			var m = regexp[SYM_MATCHALL];
			if (m != null) return invoke(m, regexp, this);
		}
		return invoke(realMatchAll, this, pattern(regexp, "g", "String.prototype.matchAll"));
	} }).matchAll, 1));
	define(SP, "replace", named(({ replace(searchValue, replaceValueArg) {
		if (this == null) return invoke(realReplace, this, searchValue, replaceValueArg);
		if (isObject(searchValue)) {
			var replacer = searchValue[SYM_REPLACE];
			if (replacer != null) return invoke(replacer, searchValue, this, replaceValueArg);
		}
		var s = str(this), search = str(searchValue);
		var fn = typeof replaceValueArg === "function" ? replaceValueArg : null, tpl = fn === null ? str(replaceValueArg) : null;
		return invoke(realReplace, s, search, replaceValue(s, fn, tpl, 1, null, 0, "String.prototype.replace"));
	} }).replace, 2));
	// replaceAll of a string on a long subject, as goja does it, a match at a time (which is
	// the same: a replace function cannot change the string, nor the matches).
	var replaceAllJS = function (s, search, fn, tpl, c) {
		var adv = search.length || 1, parts = [], last = 0;
		for (var p = s.indexOf(search, 0); p >= 0; p = p + adv > s.length ? -1 : s.indexOf(search, p + adv)) {
			var r;
			if (fn !== null) {
				r = str(invoke(fn, undefined, search, p, s));
				if ((c.total += r.length - search.length) > MAX_STR) tooBig(c.what);
			} else {
				c.total -= search.length;
				r = expand(tpl, s, p, [search], c);
			}
			parts[parts.length] = s.slice(last, p);
			parts[parts.length] = r;
			last = p + search.length;
		}
		parts[parts.length] = s.slice(last);
		return callJoin(parts, "");
	};
	if (typeof realReplaceAll === "function") {
		define(SP, "replaceAll", named(({ replaceAll(searchValue, replaceValueArg) {
			if (this == null) return invoke(realReplaceAll, this, searchValue, replaceValueArg);
			if (isObject(searchValue)) {
				globalOnly(searchValue, "String.prototype.replaceAll");
				var replacer = searchValue[SYM_REPLACE];
				if (replacer != null) return invoke(replacer, searchValue, this, replaceValueArg);
			}
			var s = str(this), search = str(searchValue);
			var fn = typeof replaceValueArg === "function" ? replaceValueArg : null, tpl = fn === null ? str(replaceValueArg) : null;
			var what = "String.prototype.replaceAll";
			var count = search.length > 0 ? floor(s.length / search.length) : s.length + 1;
			if (count * 2 > FAST_CELLS) return replaceAllJS(s, search, fn, tpl, { total: s.length, what: what });
			return invoke(realReplaceAll, s, search, replaceValue(s, fn, tpl, count, null, 0, what));
		} }).replaceAll, 2));
	}
	define(SP, "split", named(({ split(separator, limit) {
		if (this == null) return invoke(realSplit, this, separator, limit);
		if (isObject(separator)) {
			var splitter = separator[SYM_SPLIT];
			if (splitter != null) return invoke(splitter, separator, this, limit);
		}
		var s = str(this), lim = limit === undefined ? undefined : limit >>> 0;
		var sep = separator === undefined ? separator : str(separator);
		if (s.length < MAX_LEN || (lim !== undefined && lim <= MAX_LEN)) return invoke(realSplit, s, sep, lim);
		if (sep === "" && s.length > 2 * MAX_LEN) tooBig("String.prototype.split"); // a piece a character
		var a = invoke(realSplit, s, sep, MAX_LEN + 1);
		if (a.length > MAX_LEN) tooBig("String.prototype.split");
		return a;
	} }).split, 2));

	// -- JSON.stringify: a replacer function counts what goja writes. --
	var NUM_VALUEOF = Number.prototype.valueOf, BOOL_VALUEOF = Boolean.prototype.valueOf;
	var OBJ_PROTO = Object.prototype;
	var realStringify = JSON.stringify;
	var boxed = function (v) {
		return brand(NUM_VALUEOF, v) || brand(STR_VALUEOF, v) || brand(BOOL_VALUEOF, v);
	};
	var propertyList = function (replacer) {
		var r = lenOf(replacer, MAX_LEN, "JSON.stringify"), n = lastLen, list = [], seen = new Set();
		for (var i = 0; i < n; i++) {
			var v = r[i], name;
			if (typeof v === "string" || typeof v === "number") name = `${v}`;
			else if (isObject(v) && (brand(NUM_VALUEOF, v) || brand(STR_VALUEOF, v))) name = `${v}`;
			else continue;
			if (seen.has(name)) continue;
			seen.add(name);
			list[list.length] = name;
		}
		return list;
	};
	// jsonCounter is the replacer given to goja: it calls the function's replacer (jFn), filters
	// objects by the property list (jList; it copies them, so it also looks for cycles), turns
	// String objects into their string, and adds up the length of what goja writes (jTotal).
	// jHolders are the objects being written (jArrays: whether each is an array; jOrigs: the
	// object a copy was made of), the innermost last. The state is kept here rather than in a
	// closure made for each call, and saved around a JSON.stringify called from a toJSON.
	var jFn = null, jList = null, jGap = 0, jTotal = 0, jDepth = 0, jHolders = [], jArrays = [], jOrigs = [];
	var jsonCounter = function (key, value) {
		var h = this;
		if (jFn !== null) value = invoke(jFn, h, key, value);
		var d = jDepth;
		while (d > 0 && jHolders[d - 1] !== h) d--;
		var cost = 0;
		if (d > 0) {
			cost = jArrays[d - 1] ? 1 : (typeof key === "string" ? key.length : str(key).length) + 4;
			if (jGap > 0) cost += 1 + jGap * d;
		}
		var t = typeof value;
		if (t === "string") {
			cost += value.length + 2;
		} else if (t === "number") {
			cost += value >= 0 && value < 1e4 && value === (value | 0) ? 4 : ("" + value).length;
		} else if (t === "boolean") {
			cost += 5;
		} else if (value === null) {
			cost += 4;
		} else if (t === "object") {
			var isArr = isArray(value), orig = value;
			if (!isArr && !isProxy(value) && hasOwn(value, "length") && brand(STR_VALUEOF, value)) {
				value = str(value); // a String object: goja writes its string
				cost += value.length + 2;
			} else {
				cost += 2;
				if (jList !== null && !isArr && !boxed(value)) {
					for (var i = 0; i < d; i++) {
						if (jOrigs[i] === value) throw new RealTypeError("Converting circular structure to JSON");
					}
					value = {};
					for (var j = 0; j < jList.length; j++) createData(value, jList[j], orig[jList[j]]);
				}
				jHolders[d] = value;
				jArrays[d] = isArr;
				jOrigs[d] = orig;
				d++;
			}
		} else if (d > 0 && jArrays[d - 1]) {
			cost += 4; // undefined, a function or a symbol: null in an array, else left out
		} else {
			cost = 0;
		}
		jDepth = d;
		if ((jTotal += cost) > MAX_STR) tooBig("JSON.stringify");
		return value;
	};
	// jsonCount is jsonCounter without an indentation or a property list (the usual case): no
	// need to know how deep goja is.
	var jsonCount = function (key, value) {
		if (jFn !== null) value = invoke(jFn, this, key, value);
		var t = typeof value, cost;
		if (t === "string") {
			cost = value.length + 2;
		} else if (t === "number") {
			cost = value >= 0 && value < 1e4 && value === (value | 0) ? 4 : ("" + value).length;
		} else if (t === "object") {
			cost = value === null ? 4 : 2;
			if (value !== null && !isArray(value) && !isProxy(value) && hasOwn(value, "length") && brand(STR_VALUEOF, value)) {
				value = str(value); // a String object: goja writes its string
				cost = value.length + 2;
			}
		} else {
			cost = 5; // a boolean, or null for undefined in an array
		}
		cost += isArray(this) ? 1 : (typeof key === "string" ? key.length : 0) + 4;
		if ((jTotal += cost) > MAX_STR) tooBig("JSON.stringify");
		return value;
	};
	define(JSON, "stringify", named(({ stringify(value, replacer, space) {
		var fn = null, list = null;
		if (isObject(replacer)) {
			if (isArray(replacer)) list = propertyList(replacer);
			else if (typeof replacer === "function") fn = replacer;
		}
		var sp = space, gap = 0;
		if (isObject(sp)) {
			if (brand(NUM_VALUEOF, sp)) sp = +sp;
			else if (brand(STR_VALUEOF, sp)) sp = str(sp);
		}
		if (typeof sp === "number") gap = sp >= 1 ? (sp > 10 ? 10 : floor(sp)) : 0;
		else if (typeof sp === "string") gap = sp.length > 10 ? 10 : sp.length;
		if (fn === null && list === null && !isObject(value)) return invoke(realStringify, JSON, value, undefined, sp);
		var s0 = jFn, s1 = jList, s2 = jGap, s3 = jTotal, s4 = jDepth, s5 = jHolders, s6 = jArrays, s7 = jOrigs;
		var nested = jHolders.length > 0 && jDepth > 0;
		jFn = fn;
		jList = list;
		jGap = gap;
		jTotal = 0;
		jDepth = 0;
		if (nested) {
			jHolders = [];
			jArrays = [];
			jOrigs = [];
		}
		try {
			return invoke(realStringify, JSON, value, gap === 0 && list === null ? jsonCount : jsonCounter, sp);
		} finally {
			if (!nested) { // let go of the objects
				jHolders.length = 0;
				jArrays.length = 0;
				jOrigs.length = 0;
			}
			jFn = s0;
			jList = s1;
			jGap = s2;
			jTotal = s3;
			jDepth = s4;
			jHolders = s5;
			jArrays = s6;
			jOrigs = s7;
		}
	} }).stringify, 3));

	// -- console.log: goja writes objects out as JSON natively; that is done here, counted. --
	var con = mods.console, realLog = con.log, OBJ_TOSTRING = OBJ_PROTO.toString;
	var LOG_CAP = 16384; // more than MaxLogBytes: the rest of a line is cut anyway
	var stringify = JSON.stringify;
	con.log = named(({ log() {
		var parts = [], total = 0;
		for (var i = 0; i < arguments.length; i++) {
			var a = arguments[i], s;
			if (isObject(a) && typeof a !== "function" && invoke(OBJ_TOSTRING, a) !== "[object Error]") {
				try {
					s = stringify(a);
				} catch (e) {
					if (ours.has(e)) throw e;
					s = String(a);
				}
				if (s === undefined) s = "null";
			} else {
				s = typeof a === "string" ? a : String(a);
			}
			if (total <= LOG_CAP) {
				total += s.length + 1;
				parts[parts.length] = s;
			}
		}
		var line = callJoin(parts, " ");
		return invoke(realLog, con, line.length > LOG_CAP ? line.slice(0, LOG_CAP) : line);
	} }).log, 0);

	// -- crypto: hash.update and createHmac take strings, buffers and typed arrays; an array
	// becomes a Uint8Array here (goja would copy it out element by element, however long). --
	var cryptoMod = mods.crypto;
	var bytesArg = function (v, what) {
		if (!isObject(v) || isView(v) || abLength(v) >= 0) return v;
		if (!isArray(v)) throw new RealTypeError("expected a string, Buffer, TypedArray or ArrayBuffer");
		return construct(TA_REAL.Uint8Array, [lenOf(v, MAX_BYTES, what)]);
	};
	var hashGuard = function (h) {
		var realUpdate = h.update;
		h.update = named(({ update(data) {
			var args = [];
			for (var i = 0; i < arguments.length; i++) args[i] = i === 0 ? bytesArg(data, "hash.update") : arguments[i];
			return apply(realUpdate, h, args);
		} }).update, 2);
		return h;
	};
	var realCreateHash = cryptoMod.createHash, realCreateHmac = cryptoMod.createHmac;
	cryptoMod.createHash = named(({ createHash() { return hashGuard(apply(realCreateHash, cryptoMod, arguments)); } }).createHash, 1);
	cryptoMod.createHmac = named(({ createHmac(alg, key) {
		return hashGuard(apply(realCreateHmac, cryptoMod, [alg, bytesArg(key, "crypto.createHmac")]));
	} }).createHmac, 2);

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
				// hex doubles the length, base64 adds a third; the others give at most a character a byte.
				var e = typeof enc === "string" ? enc.toLowerCase() : "", n = s.length;
				if ((e === "hex" ? 2 * n : e === "base64" || e === "base64url" ? 4 * Math.ceil(n / 3) : n) > MAX_STR) {
					tooBig("Buffer.prototype.toString");
				}
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
			var keys = ownKeys(o);
			// A function whose only properties are its length and name (most built-in methods)
			// holds no other object: it is frozen without reading its descriptors.
			if (typeof o === "function" && keys.length === 2 && keys[0] !== keys[1] &&
				(keys[0] === "length" || keys[0] === "name") && (keys[1] === "length" || keys[1] === "name")) {
				stack.push(getPrototypeOf(o));
				Object.freeze(o);
				continue;
			}
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
	// Intrinsics that no property of the global object leads to (iterator prototypes, where
	// the wrapped next methods are; generator and async function prototypes).
	[ArrayIteratorProto, RegExpStringIteratorProto, getPrototypeOf(apply(realStrIter, "", NONE)),
		getPrototypeOf(new Map().entries()), getPrototypeOf(new Set().values()),
		getPrototypeOf(function* () {}), getPrototypeOf(async function () {})].forEach(harden);
	return { require: require, Buffer: Buffer, parse: JSON.parse, proto: Object.prototype, regexpProto: RP, fail: fail };
})
