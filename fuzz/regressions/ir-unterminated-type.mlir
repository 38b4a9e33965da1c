// Data parallel x tensor parallel, DP=2 x TP=4: eight devices, device(0) to
// device(7), replica-major (shard s of replica r is device r * 4 + s), and a
// target and a draft cache on the same devices. The flat signature is cache
// after cache in the order of their first declaration, device after device
// within a cache, each device's fields in ABI order, whatever order the
// declarations come in.
//
// RUN: kvcache-opt %s --kvcache-expand-inputs | FileCheck %s
// RUN: kvcache-opt %s --kvcache-expand-inputs --kvcache-pack-inputs | FileCheck %s --check7prefix=PACK
//
// RUN: kvcache-opt %s --kvcac

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// scf.if results and yields.
// CHECK-LABEL: func.func @if(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}},
// CHECK-SAME:    %[[B0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[B1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[B2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[B3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[C:[^:]*]]: i1)
// CHECK:         %[[R:.*]]:4 = scf.if %[[C]] -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>) {
// CHECK-NEXT:      scf.yield %[[A0]], %[[A1]], %[[A2]], %[[A3]] :
// CHECK-NEXT:    } else {
// CHECK-NEXT:      scf.yield %[[B0]], %[[B1]], %[[B2]], %[[B3]] :
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[R]]#2 : tensor<?x?xi32>
func.func @if(%he-expana: !kvd-in