//===- LockStepTest.cpp - flatten and unflatten stay in lock-step ---------===//
//
// Random bundle signatures (every legal combination of optional fields,
// tensor and memref forms, 1-8 devices, 1-3 named caches) go through
// kvcache-expand-inputs and kvcache-pack-inputs: the flat signature must be
// the fields in ABI order, device after device, and packing must give back
// the original signature.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"
#include "kvcache/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir;
using namespace kvcache;
using kvcache::abi::Field;

namespace {

class LockStep : public ::testing::Test {
protected:
  LockStep() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// A random legal bundle type.
  InputsType randomType(std::mt19937 &rng) {
    auto coin = [&] { return std::uniform_int_distribution<int>(0, 1)(rng); };
    Builder b(&context);
    bool mla = coin(), fp8 = coin();
    int64_t headDim = mla ? 576 : 128;
    Type element = fp8 ? Type(b.getType<Float8E4M3FNType>()) : b.getBF16Type();
    int64_t dyn = ShapedType::kDynamic;
    auto tensorKind = [&](ArrayRef<int64_t> shape, Type elt) -> Type {
      if (coin())
        return RankedTensorType::get(shape, elt);
      return MemRefType::get(shape, elt);
    };
    SmallVector<Field> fields;
    SmallVector<Type> types;
    auto add = [&](Field field, Type type) {
      fields.push_back(field);
      types.push_back(type);
    };
    int64_t heads = mla ? 1 : 8;
    add(Field::kv_blocks,
        MemRefType::get({dyn, mla ? 1 : 2, 2, 16, heads, headDim}, element));
    add(Field::cache_lengths, tensorKind({dyn}, b.getI32Type()));
    add(Field::lookup_table, tensorKind({dyn, dyn}, b.getI32Type()));
    add(Field::max_lengths, tensorKind({dyn, 2}, b.getI32Type()));
    if (fp8)
      add(Field::kv_scales,
          MemRefType::get({dyn, mla ? 1 : 2, 2, 16, heads, headDim / 64},
                          b.getF32Type()));
    int64_t metadata = mla ? 3 : 4;
    if (coin())
      add(Field::attention_dispatch_metadata,
          tensorKind({metadata}, b.getI64Type()));
    bool draft = coin();
    if (draft)
      add(Field::draft_attention_dispatch_metadata,
          tensorKind({metadata}, b.getI64Type()));
    if (mla && coin())
      add(Field::mla_num_partitions, tensorKind({1}, b.getI64Type()));
    if (mla && draft && coin())
      add(Field::draft_mla_num_partitions, tensorKind({1}, b.getI64Type()));
    auto type = InputsType::getChecked(
        [&] { return emitError(UnknownLoc::get(&context)); }, &context,
        ArrayRef<Field>(fields), ArrayRef<Type>(types));
    EXPECT_TRUE(type) << "generated an invalid bundle type";
    return type;
  }

  MLIRContext context;
};

struct Bundle {
  InputsType type;
  std::string cache;
  int64_t device;
};

TEST_F(LockStep, RandomSignaturesRoundTrip) {
  std::mt19937 rng(20261126);
  Builder b(&context);
  for (int trial = 0; trial < 200; ++trial) {
    // Caches, then devices within a cache: the flat order ABI.md states.
    int numCaches = std::uniform_int_distribution<int>(1, 3)(rng);
    int numDevices = std::uniform_int_distribution<int>(1, 8)(rng);
    std::vector<Bundle> bundles;
    for (int c = 0; c < numCaches; ++c) {
      InputsType type = randomType(rng);
      std::string cache = c == 0 ? "" : "cache" + std::to_string(c);
      for (int64_t d = 0; d < numDevices; ++d)
        bundles.push_back({type, cache, d});
    }
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    for (const Bundle &bundle : bundles) {
      argTypes.push_back(bundle.type);
      NamedAttrList attrs;
      attrs.set("kvcache.device", b.getI64IntegerAttr(bundle.device));
      if (!bundle.cache.empty())
        attrs.set("kvcache.cache", b.getStringAttr(bundle.cache));
      argAttrs.push_back(attrs.getDictionary(&context));
    }
    OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
    OpBuilder builder = OpBuilder::atBlockEnd(module->getBody());
    auto fn = func::FuncOp::create(builder, UnknownLoc::get(&context), "f",
                                   b.getFunctionType(argTypes, {}));
    fn.setAllArgAttrs(argAttrs);
    OpBuilder body = OpBuilder::atBlockEnd(fn.addEntryBlock());
    func::ReturnOp::create(body, UnknownLoc::get(&context));
    std::string original;
    llvm::raw_string_ostream(original) << *module;

    PassManager expand(&context);
    expand.addPass(createExpandInputs());
    ASSERT_TRUE(succeeded(expand.run(*module))) << original;

    // Flat: each bundle's present fields, in ABI order, named by attributes.
    unsigned index = 0;
    for (const Bundle &bundle : bundles) {
      for (auto [field, type] : llvm::zip_equal(bundle.type.getFields(),
                                                bundle.type.getFieldTypes())) {
        ASSERT_LT(index, fn.getNumArguments());
        EXPECT_EQ(fn.getArgumentTypes()[index], type);
        auto name = fn.getArgAttrOfType<StringAttr>(index, "kvcache.field");
        ASSERT_TRUE(name);
        EXPECT_EQ(name.getValue().str(),
                  std::string(kvcache::abi::name(field)));
        auto device = fn.getArgAttrOfType<IntegerAttr>(index, "kvcache.device");
        ASSERT_TRUE(device);
        EXPECT_EQ(device.getInt(), bundle.device);
        auto cache = fn.getArgAttrOfType<StringAttr>(index, "kvcache.cache");
        EXPECT_EQ(cache ? cache.getValue().str() : "", bundle.cache);
        ++index;
      }
    }
    EXPECT_EQ(index, fn.getNumArguments());

    PassManager pack(&context);
    pack.addPass(createPackInputs());
    ASSERT_TRUE(succeeded(pack.run(*module)));
    std::string packed;
    llvm::raw_string_ostream(packed) << *module;
    EXPECT_EQ(packed, original);
  }
}

} // namespace
