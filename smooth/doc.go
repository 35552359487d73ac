// Package smooth serves Microsoft Smooth Streaming on demand from plain files, the way IIS
// Media Services does, for an edge that reads its origin through byte ranges
// (the protocol is [MS-SSTR],
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sstr/; the .ism server
// manifest is IIS's,
// https://learn.microsoft.com/en-us/previous-versions/iis/smooth-streaming-client/iis-smooth-streaming-on-demand-server-manifest-format).
//
// # Pieces
//
//   - url.go: ParseURL, the MS-SSTR URL grammar (…/x.ism/Manifest,
//     …/x.ism/QualityLevels(B[,k=v…])/Fragments(name=T) and the other nouns).
//   - servermanifest.go: ParseServerManifest and ServerManifest.Resolve, the .ism (SMIL) and
//     the (bitrate, stream name, custom attributes) → (file, track) mapping.
//   - index.go: ParseMfro, ParseIndex and Index.Range, the mfra/tfra fragment index and the
//     [moof, next top-level fragment) byte range of a fragment.
//   - fragment.go: CheckFragment, which verifies a range is exactly moof+mdat without
//     base-data-offset and cuts the body for Fragments, FragmentInfo and RawFragments.
//   - clientmanifest.go, media.go, package.go: client manifest (.ismc) generation from the
//     files' moov and mfra, and Package, the body of `edge package`.
//   - resolver.go: Resolver, which ties these together over a Source.
//
// # Decisions where the protocol is silent
//
//   - Nouns ("Manifest", "QualityLevels", "Fragments", …) and the ".ism" extension match
//     case-insensitively; stream names and custom-attribute values match exactly.
//   - ".isml" (live) presentations give ErrLive, a 404: the edge serves on demand only.
//   - A fragment time matches a tfra entry exactly, or one tick off (client rounding);
//     anything else is 404.
//   - KeyFrames requests are answered 400 (ErrUnsupported), as nginx-vod does.
//   - A request whose URL attributes do not single out one track is 404 (ErrAmbiguous).
//   - The last chunk's duration in a generated .ismc is the sum of the sample durations of
//     the track's last fragment.
package smooth
