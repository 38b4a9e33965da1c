// A tensor graph whose public function returns a scalar
// (test/Compile/tensor-errors.mlir).
func.func @norm(%x: tensor<8xf32> {kvcache.name = "x"}) -> f32 {
  %zero = arith.constant 0.0 : f32
  %init = tensor.from_elements %zero : tensor<f32>
  %sum = linalg.reduce ins(%x : tensor<8xf32>) outs(%init : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %value = tensor.extract %sum[] : tensor<f32>
  return %value : f32
}
