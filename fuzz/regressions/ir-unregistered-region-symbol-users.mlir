

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

func.func @unknown_region() {
  // expected-error @+1 {{'test.region' op uses a !kvcache.inputs value}}
  "test.region"() ({
  ^bb0(%kv: !kv):
    "test.terminator"() : () -> ()
  }) : () -> ()
  return
}

