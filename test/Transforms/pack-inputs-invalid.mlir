// RUN: kvcache-opt %s -split-input-file --kvcache-pack-inputs -verify-diagnostics

// A run misses a required field.
// expected-error @+1 {{argument #1: the run of cache fields that starts here misses the required field 'lookup_table'}}
func.func @missing_field(%x: i32,
                         %blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 0 : i64},
                         %lens: tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 0 : i64},
                         %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 0 : i64}) {
  return
}

// -----

// A run goes backwards in ABI order.
// expected-error @+1 {{argument #2: field 'cache_lengths' goes backwards in ABI order: it follows 'lookup_table'}}
func.func @backwards(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks"},
                     %table: tensor<?x?xi32> {kvcache.field = "lookup_table"},
                     %lens: tensor<?xi32> {kvcache.field = "cache_lengths"},
                     %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths"}) {
  return
}

// -----

// A field twice in one run is going backwards too.
// expected-error @+1 {{argument #2: field 'cache_lengths' goes backwards in ABI order: it follows 'cache_lengths'}}
func.func @repeated(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks"},
                    %lens: tensor<?xi32> {kvcache.field = "cache_lengths"},
                    %lens2: tensor<?xi32> {kvcache.field = "cache_lengths"},
                    %table: tensor<?x?xi32> {kvcache.field = "lookup_table"},
                    %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths"}) {
  return
}

// -----

// A run mixes devices.
// expected-error @+1 {{argument #2: field 'lookup_table' is for device 1 cache '', but its run (from argument #0) is for device 0 cache ''}}
func.func @mixed_devices(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 0 : i64},
                         %lens: tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 0 : i64},
                         %table: tensor<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 1 : i64},
                         %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 1 : i64}) {
  return
}

// -----

// A run mixes caches.
// expected-error @+1 {{argument #1: field 'cache_lengths' is for device 0 cache 'draft', but its run (from argument #0) is for device 0 cache ''}}
func.func @mixed_caches(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 0 : i64},
                        %lens: tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 0 : i64, kvcache.cache = "draft"},
                        %table: tensor<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 0 : i64},
                        %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 0 : i64}) {
  return
}

// -----

// A field before any kv_blocks belongs to no run.
// expected-error @+1 {{argument #0: field 'cache_lengths' is not part of a run of cache fields: a run starts at 'kv_blocks'}}
func.func @no_kv_blocks(%lens: tensor<?xi32> {kvcache.field = "cache_lengths"}) {
  return
}

// -----

// Another argument ends a run: what follows needs its own kv_blocks.
// expected-error @+1 {{argument #5: field 'attention_dispatch_metadata' is not part of a run of cache fields}}
func.func @interrupted(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks"},
                       %lens: tensor<?xi32> {kvcache.field = "cache_lengths"},
                       %table: tensor<?x?xi32> {kvcache.field = "lookup_table"},
                       %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths"},
                       %x: i32,
                       %meta: tensor<4xi64> {kvcache.field = "attention_dispatch_metadata"}) {
  return
}

// -----

// The fields must make a valid bundle type.
// expected-error @+1 {{argument #0: the run of cache fields that starts here is not a valid bundle: field 'cache_lengths' must have element type i32 (signless), got 'i64'}}
func.func @bad_type(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks"},
                    %lens: tensor<?xi64> {kvcache.field = "cache_lengths"},
                    %table: tensor<?x?xi32> {kvcache.field = "lookup_table"},
                    %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths"}) {
  return
}

// -----

// expected-error @+1 {{argument #0: kvcache.field must name an ABI field, got "kv_block"}}
func.func @unknown_field(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_block"}) {
  return
}

// -----

// expected-error @+1 {{argument #0: kvcache.device must be a non-negative integer, got -1 : i64}}
func.func @bad_device(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = -1 : i64}) {
  return
}

// -----

// A reference that is not a call would keep the flat signature.
func.func private @flat(memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks"},
                        tensor<?xi32> {kvcache.field = "cache_lengths"},
                        tensor<?x?xi32> {kvcache.field = "lookup_table"},
                        tensor<?x2xi32> {kvcache.field = "max_lengths"})

func.func @reference() {
  // expected-error @+1 {{'func.constant' op references @flat, whose flat cache arguments kvcache-pack-inputs regroups}}
  %f = func.constant @flat : (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>) -> ()
  return
}
