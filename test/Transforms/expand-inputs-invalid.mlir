// RUN: kvcache-opt %s -split-input-file --allow-unregistered-dialect --kvcache-expand-inputs -verify-diagnostics

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// A function that declares inputs gets new arguments that its callers could
// not supply.
// expected-error @+1 {{@graph declares cache inputs with kvcache.inputs_per_device and is also referenced in the module}}
func.func @graph() {
  %kv = kvcache.inputs_per_device device(0) : !kv
  return
}

func.func @caller() {
  // expected-note @+1 {{referenced here by 'func.call'}}
  call @graph() : () -> ()
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// Recursion is a reference too.
// expected-error @+1 {{@recursive declares cache inputs}}
func.func private @recursive(%n: i32) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  // expected-note @+1 {{referenced here}}
  call @recursive(%n) : (i32) -> ()
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// A bundle inside another type (here a function type) cannot be expanded.
func.func private @takes_bundle(!kv)

func.func @function_value() {
  // expected-error @+1 {{'func.constant' op uses type '(!kvcache.inputs<}}
  %f = func.constant @takes_bundle : (!kv) -> ()
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// Nor a bundle inside a tuple: no pack or get builds or reads one. An op
// the pass does not know is otherwise kept (expand-inputs-unknown-ops.mlir).
func.func @tuple() {
  // expected-error @+1 {{'test.make' op uses type 'tuple<!kvcache.inputs<}}
  %t = "test.make"() : () -> tuple<!kv>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>
!f16 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf16>,
                       cache_lengths: tensor<?xi32>,
                       lookup_table: tensor<?x?xi32>,
                       max_lengths: tensor<?x2xi32>>

// Two declarations of one cache and device share their arguments, so they
// must agree on the type.
func.func @mismatched_declarations() {
  %a = kvcache.inputs_per_device device(1) cache("draft") : !kv
  // expected-error @+1 {{declares cache 'draft' device 1 as}}
  %b = kvcache.inputs_per_device device(1) cache("draft") : !f16
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// A declaration outside any function has no arguments to become.
"test.container"() ({
  // expected-error @+1 {{must be nested in a func.func}}
  %kv = kvcache.inputs_per_device device(0) : !kv
  "test.terminator"() : () -> ()
}) : () -> ()
