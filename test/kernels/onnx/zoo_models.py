"""The nine classic architectures of the ONNX model zoo, built here (tests only; issue 13).

The zoo's opset-9 exports of ResNet-50, VGG-19, SqueezeNet 1.0, DenseNet-121, Inception v1
(GoogLeNet), Inception v2 (BN-Inception), ShuffleNet (v1, 3 groups), AlexNet and ZFNet-512 are
not in Debian's test data (it holds their URLs only) and this machine has no internet, so this
file writes them again with onnx.helper, at opset 9 (IR version 4), with the layer structure of
those exports:

- every layer of each network in its order, with its kernel sizes, strides, pads, groups and
  branch and concat topology: ResNet-50's 16 bottlenecks (1x1, 3x3 with the stride, 1x1; a
  projection shortcut of 1x1 conv and batch norm where the shape changes), VGG-19's 16 3x3
  convolutions, SqueezeNet's 8 fire modules (squeeze 1x1, expand 1x1 and 3x3 concatenated),
  DenseNet-121's dense blocks of 6, 12, 24 and 16 layers (BN, ReLU, 1x1 to 4x the growth
  rate, BN, ReLU, 3x3 to the growth rate, concatenated onto the block's features) and the
  transitions between them (BN, ReLU, 1x1 halving the channels, 2x2 average pool), GoogLeNet's
  9 inception modules (1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pool then 1x1), BN-Inception's
  10 modules with a batch norm after every convolution, its 5x5 factorised into two 3x3, the
  average-pool branch and the two stride-2 modules that concatenate a max pool, ShuffleNet's
  16 units (grouped 1x1, channel shuffle as Reshape -> Transpose -> Reshape, depthwise 3x3,
  grouped 1x1; a residual Sum, or a concat with a 3x3 average pool where the unit strides),
  AlexNet's grouped convolutions and ZFNet's 7x7 stride-2 first layer;
- the operators of those exports: LRN after the first layers of AlexNet, ZFNet and GoogLeNet;
  Dropout before the classifiers of AlexNet, ZFNet, VGG-19 (two), GoogLeNet and SqueezeNet
  (AlexNet's with its opset-7 mask output, as caffe2's exports name it); residual adds as Sum
  (ResNet-50 and ShuffleNet, converted from caffe2); Caffe's ceil-mode max pools as MaxPool
  with an extra pad at the end (opset 9's MaxPool has no ceil_mode); BN-Inception's average
  pool counting its pads; the features flattened for the classifier as torch's opset-9
  exporter writes it, the shape made at run time: Shape -> Gather -> Unsqueeze, a -1 from
  ConstantOfShape, Concat -> Reshape; SqueezeNet's and DenseNet's classifier a 1x1
  convolution; a Softmax at the end of each, as the zoo's "prob" outputs (the logits before
  it are a second output here, so that a test compares values of order one as well).

What is scaled down, so that the test that runs them on hogar's reference path (plain loops)
stays fast on a 2-core machine: every channel width is divided by 4 (VGG-19's 64..512 are
16..128, ResNet-50 ends with 512 features instead of 2048, DenseNet-121's growth rate is 8 and
its first layer 16 wide, fully connected layers of 4096 are 1024), except the 1000 classes of
each classifier and the 3 input channels; ShuffleNet's 24/240/480/960 become 6/60/120/240 (3
groups kept); VGG-19 takes 112x112 images (its last feature map is 3x3, not 7x7), the others
the zoo's 224x224. Weights are seeded normal draws scaled as He's initialisation
(sqrt(2 / fan-in)) so that activations stay of order one; batch norms get seeded statistics
near zero mean and unit variance, and the last batch norm of each residual branch of ResNet-50
and ShuffleNet a small scale (0.2 to 0.4, 0.3 to 0.5), so that the residual sums keep the
features of order one. The batch
dimension is dynamic (N).

  zoo_models.py --output DIR [NAME...]   writes DIR/NAME/1/model.onnx (a model repository)

and build_model(NAME) gives one model; NAMES lists them.
"""
import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 9
IR_VERSION = 4
WIDTH_DIVISOR = 4
CLASSES = 1000
# The standard deviation of ImageNet's pixels in Caffe's 0..255 range: the first convolution of
# the networks with LRN is this much larger, as if it read Caffe's unnormalised pixels, so that
# LRN (alpha 1e-4) sees activations of the size it was made for and changes them by tens of
# percent (on activations of order one it would be the identity within the tolerance of a
# test); their classifier is as much smaller.
CAFFE_PIXEL_SCALE = 0.229 * 255


class Net:
    """An ONNX graph being built, with the [C, H, W] (or [F]) shape of every value."""

    def __init__(self, name, seed, size):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.initializers = []
        self.shapes = {"data": (3, size, size)}
        self.used = {}

    def fresh(self, prefix):
        n = self.used.get(prefix, 0)
        self.used[prefix] = n + 1
        return f"{prefix}_{n}" if n else prefix

    def weight(self, name, array):
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, prefix, outputs=1, **attrs):
        name = self.fresh(prefix)
        outs = [name] + [f"{name}_out{k}" for k in range(1, outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if outputs == 1 else outs

    # Layers.

    def conv(self, x, out, kernel, stride=1, pad=0, group=1, bias=True, prefix="conv",
             gain=1.0):
        c, h, w = self.shapes[x]
        fan_in = c // group * kernel * kernel
        weights = self.rng.standard_normal((out, c // group, kernel, kernel)).astype(np.float32)
        weights *= gain * math.sqrt(2.0 / fan_in)
        name = self.fresh(prefix)
        inputs = [x, self.weight(name + "_w", weights)]
        if bias:
            b = self.rng.uniform(-0.1, 0.1, out).astype(np.float32)
            inputs.append(self.weight(name + "_b", b))
        y = self.node("Conv", inputs, name, kernel_shape=[kernel, kernel], strides=[stride] * 2,
                      pads=[pad] * 4, group=group, dilations=[1, 1])
        self.shapes[y] = (out, (h + 2 * pad - kernel) // stride + 1,
                          (w + 2 * pad - kernel) // stride + 1)
        return y

    def bn(self, x, scale=(0.8, 1.2), prefix="bn"):
        c = self.shapes[x][0]
        name = self.fresh(prefix)
        params = [self.rng.uniform(*scale, c), self.rng.normal(0.0, 0.1, c),
                  self.rng.normal(0.0, 0.1, c), self.rng.uniform(0.8, 1.2, c)]
        inputs = [x] + [self.weight(f"{name}_{p}", v.astype(np.float32))
                        for p, v in zip(("scale", "bias", "mean", "var"), params)]
        y = self.node("BatchNormalization", inputs, name, epsilon=1e-5, momentum=0.9)
        self.shapes[y] = self.shapes[x]
        return y

    def same(self, op, x, prefix, **attrs):
        y = self.node(op, [x], prefix, **attrs)
        self.shapes[y] = self.shapes[x]
        return y

    def relu(self, x):
        return self.same("Relu", x, "relu")

    def lrn(self, x):
        return self.same("LRN", x, "lrn", size=5, alpha=1e-4, beta=0.75, bias=1.0)

    def dropout(self, x, ratio=0.5, mask=False):
        if not mask:
            return self.same("Dropout", x, "dropout", ratio=ratio)
        y, _ = self.node("Dropout", [x], "dropout", outputs=2, ratio=ratio)
        self.shapes[y] = self.shapes[x]
        return y

    def pool(self, op, x, kernel, stride, pad=0, ceil=False, **attrs):
        """A pool; `ceil` pads the end as Caffe's ceil-mode output size needs."""
        c, h, w = self.shapes[x]
        ends = []
        for extent in (h, w):
            # Ceil mode makes one more output where the last window would stick out.
            short = (extent + 2 * pad - kernel) % stride
            ends.append(pad + (stride - short if ceil and short else 0))
        y = self.node(op, [x], op.lower(), kernel_shape=[kernel] * 2, strides=[stride] * 2,
                      pads=[pad, pad] + ends, **attrs)
        self.shapes[y] = (c, (h + pad + ends[0] - kernel) // stride + 1,
                          (w + pad + ends[1] - kernel) // stride + 1)
        return y

    def maxpool(self, x, kernel, stride, pad=0, ceil=False):
        return self.pool("MaxPool", x, kernel, stride, pad, ceil)

    def avgpool(self, x, kernel, stride, pad=0, ceil=False, count_include_pad=0):
        return self.pool("AveragePool", x, kernel, stride, pad, ceil,
                         count_include_pad=count_include_pad)

    def global_avgpool(self, x):
        y = self.node("GlobalAveragePool", [x], "pool_global")
        self.shapes[y] = (self.shapes[x][0], 1, 1)
        return y

    def concat(self, xs):
        y = self.node("Concat", xs, "concat", axis=1)
        _, h, w = self.shapes[xs[0]]
        assert all(self.shapes[x][1:] == (h, w) for x in xs), [self.shapes[x] for x in xs]
        self.shapes[y] = (sum(self.shapes[x][0] for x in xs), h, w)
        return y

    def sum(self, xs):
        assert all(self.shapes[x] == self.shapes[xs[0]] for x in xs)
        y = self.node("Sum", xs, "sum")
        self.shapes[y] = self.shapes[xs[0]]
        return y

    def constant(self, array, prefix="const"):
        return self.node("Constant", [], prefix, value=numpy_helper.from_array(array))

    def flatten(self, x):
        """[N, C, H, W] to [N, C*H*W] as torch's opset-9 exporter writes x.view(x.size(0), -1):
        the shape made at run time from the input's, the -1 from ConstantOfShape."""
        shape = self.node("Shape", [x], "shape")
        index = self.constant(np.array(0, dtype=np.int64), "batch_index")
        batch = self.node("Gather", [shape, index], "batch", axis=0)
        batch = self.node("Unsqueeze", [batch], "batch_1d", axes=[0])
        one = self.constant(np.array([1], dtype=np.int64), "rest_rank")
        rest = self.node("ConstantOfShape", [one], "rest",
                         value=numpy_helper.from_array(np.array([-1], dtype=np.int64)))
        target = self.node("Concat", [batch, rest], "flat_shape", axis=0)
        y = self.node("Reshape", [x, target], "flatten")
        self.shapes[y] = (int(np.prod(self.shapes[x])),)
        return y

    def gemm(self, x, out, classifier=False, gain=1.0):
        (features,) = self.shapes[x]
        # He's scaling before a ReLU; the classifier's logits get unit-variance scaling.
        weights = self.rng.standard_normal((out, features)).astype(np.float32)
        weights *= gain * math.sqrt((1.0 if classifier else 2.0) / features)
        name = self.fresh("fc")
        b = self.rng.uniform(-0.1, 0.1, out).astype(np.float32)
        y = self.node("Gemm", [x, self.weight(name + "_w", weights),
                               self.weight(name + "_b", b)],
                      name, alpha=1.0, beta=1.0, transB=1)
        self.shapes[y] = (out,)
        return y

    def softmax(self, logits):
        """The zoo's "prob" output; the logits before it are an output too, so that a test
        compares them and not only probabilities that are mostly far below its tolerance."""
        return [self.same("Softmax", logits, "prob", axis=1), logits]

    def model(self, outputs):
        size = self.shapes["data"][1]
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", 3, size, size])],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, ["N"] + list(self.shapes[y]))
             for y in outputs],
            self.initializers)
        model = helper.make_model(graph, producer_name="hogar zoo_models.py",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        return model


def w(channels):
    """A channel width of the zoo's network, divided as the docstring says."""
    return channels // WIDTH_DIVISOR


def conv_relu(net, x, out, kernel, stride=1, pad=0, group=1, gain=1.0):
    return net.relu(net.conv(x, out, kernel, stride, pad, group, gain=gain))


def conv_bn_relu(net, x, out, kernel, stride=1, pad=0):
    return net.relu(net.bn(net.conv(x, out, kernel, stride, pad, bias=False)))


def classify(net, x, hidden, dropout_mask=False, gain=1.0):
    """Flatten, then fully connected layers with ReLU and Dropout, the last one 1000 wide."""
    x = net.flatten(x)
    for width in hidden:
        x = net.dropout(net.relu(net.gemm(x, width)), mask=dropout_mask)
    return net.softmax(net.gemm(x, CLASSES, classifier=True, gain=gain))


def resnet50():
    net = Net("resnet50", 1, 224)
    x = conv_bn_relu(net, "data", w(64), 7, 2, 3)
    # Caffe2's ResNet pools 112x112 without padding to 55x55 (torchvision pads to 56x56).
    x = net.maxpool(x, 3, 2)
    for stage, (blocks, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)]):
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            branch = conv_bn_relu(net, x, w(width), 1)
            branch = conv_bn_relu(net, branch, w(width), 3, stride, 1)
            branch = net.bn(net.conv(branch, w(4 * width), 1, bias=False), scale=(0.2, 0.4))
            shortcut = x
            if block == 0:
                shortcut = net.bn(net.conv(x, w(4 * width), 1, stride, bias=False))
            x = net.relu(net.sum([shortcut, branch]))
    x = net.avgpool(x, net.shapes[x][1], 1)
    return net, classify(net, x, [])


def vgg19():
    net = Net("vgg19", 2, 112)
    x = "data"
    for convs, width in [(2, 64), (2, 128), (4, 256), (4, 512), (4, 512)]:
        for _ in range(convs):
            x = conv_relu(net, x, w(width), 3, 1, 1)
        x = net.maxpool(x, 2, 2)
    return net, classify(net, x, [w(4096), w(4096)])


def squeezenet():
    net = Net("squeezenet", 3, 224)

    def fire(x, squeeze, expand):
        s = conv_relu(net, x, w(squeeze), 1)
        return net.concat([conv_relu(net, s, w(expand), 1), conv_relu(net, s, w(expand), 3, 1, 1)])

    x = conv_relu(net, "data", w(96), 7, 2)
    x = net.maxpool(x, 3, 2, ceil=True)
    x = fire(x, 16, 64)
    x = fire(x, 16, 64)
    x = fire(x, 32, 128)
    x = net.maxpool(x, 3, 2, ceil=True)
    x = fire(x, 32, 128)
    x = fire(x, 48, 192)
    x = fire(x, 48, 192)
    x = fire(x, 64, 256)
    x = net.maxpool(x, 3, 2, ceil=True)
    x = fire(x, 64, 256)
    x = net.dropout(x)
    x = conv_relu(net, x, CLASSES, 1)
    x = net.avgpool(x, net.shapes[x][1], 1)
    return net, net.softmax(net.flatten(x))


def densenet121():
    net = Net("densenet121", 4, 224)
    growth = w(32)
    x = conv_bn_relu(net, "data", w(64), 7, 2, 3)
    x = net.maxpool(x, 3, 2, 1)
    for block, layers in enumerate([6, 12, 24, 16]):
        for _ in range(layers):
            y = net.conv(net.relu(net.bn(x)), 4 * growth, 1, bias=False)
            y = net.conv(net.relu(net.bn(y)), growth, 3, 1, 1, bias=False)
            x = net.concat([x, y])
        if block < 3:
            x = net.conv(net.relu(net.bn(x)), net.shapes[x][0] // 2, 1, bias=False)
            x = net.avgpool(x, 2, 2)
    x = net.global_avgpool(net.relu(net.bn(x)))
    x = net.conv(x, CLASSES, 1, prefix="fc6")
    return net, net.softmax(net.flatten(x))


def inception_v1():
    net = Net("inception_v1", 5, 224)

    def module(x, c1, c3r, c3, c5r, c5, proj):
        a = conv_relu(net, x, w(c1), 1)
        b = conv_relu(net, conv_relu(net, x, w(c3r), 1), w(c3), 3, 1, 1)
        c = conv_relu(net, conv_relu(net, x, w(c5r), 1), w(c5), 5, 1, 2)
        d = conv_relu(net, net.maxpool(x, 3, 1, 1), w(proj), 1)
        return net.concat([a, b, c, d])

    x = conv_relu(net, "data", w(64), 7, 2, 3, gain=CAFFE_PIXEL_SCALE)
    x = net.lrn(net.maxpool(x, 3, 2, ceil=True))
    x = conv_relu(net, x, w(64), 1)
    x = net.lrn(conv_relu(net, x, w(192), 3, 1, 1))
    x = net.maxpool(x, 3, 2, ceil=True)
    x = module(x, 64, 96, 128, 16, 32, 32)
    x = module(x, 128, 128, 192, 32, 96, 64)
    x = net.maxpool(x, 3, 2, ceil=True)
    x = module(x, 192, 96, 208, 16, 48, 64)
    x = module(x, 160, 112, 224, 24, 64, 64)
    x = module(x, 128, 128, 256, 24, 64, 64)
    x = module(x, 112, 144, 288, 32, 64, 64)
    x = module(x, 256, 160, 320, 32, 128, 128)
    x = net.maxpool(x, 3, 2, ceil=True)
    x = module(x, 256, 160, 320, 32, 128, 128)
    x = module(x, 384, 192, 384, 48, 128, 128)
    x = net.avgpool(x, net.shapes[x][1], 1)
    x = net.dropout(x, 0.4)
    return net, classify(net, x, [], gain=1 / CAFFE_PIXEL_SCALE)


def inception_v2():
    net = Net("inception_v2", 6, 224)

    def module(x, c1, c3r, c3, d3r, d3, pool, proj, stride=1):
        """BN-Inception's module; with stride 2 there is no 1x1 branch and the pool is a
        3x3 stride-2 max pool passed through."""
        branches = []
        if c1:
            branches.append(conv_bn_relu(net, x, w(c1), 1))
        branches.append(conv_bn_relu(net, conv_bn_relu(net, x, w(c3r), 1), w(c3), 3, stride, 1))
        d = conv_bn_relu(net, conv_bn_relu(net, x, w(d3r), 1), w(d3), 3, 1, 1)
        branches.append(conv_bn_relu(net, d, w(d3), 3, stride, 1))
        if stride == 2:
            branches.append(net.maxpool(x, 3, 2, ceil=True))
        elif pool == "avg":
            p = net.avgpool(x, 3, 1, 1, count_include_pad=1)
            branches.append(conv_bn_relu(net, p, w(proj), 1))
        else:
            branches.append(conv_bn_relu(net, net.maxpool(x, 3, 1, 1), w(proj), 1))
        return net.concat(branches)

    x = conv_bn_relu(net, "data", w(64), 7, 2, 3)
    x = net.maxpool(x, 3, 2, ceil=True)
    x = conv_bn_relu(net, x, w(64), 1)
    x = conv_bn_relu(net, x, w(192), 3, 1, 1)
    x = net.maxpool(x, 3, 2, ceil=True)
    x = module(x, 64, 64, 64, 64, 96, "avg", 32)
    x = module(x, 64, 64, 96, 64, 96, "avg", 64)
    x = module(x, 0, 128, 160, 64, 96, "max", 0, stride=2)
    x = module(x, 224, 64, 96, 96, 128, "avg", 128)
    x = module(x, 192, 96, 128, 96, 128, "avg", 128)
    x = module(x, 160, 128, 160, 128, 160, "avg", 128)
    x = module(x, 96, 128, 192, 160, 192, "avg", 128)
    x = module(x, 0, 128, 192, 192, 256, "max", 0, stride=2)
    x = module(x, 352, 192, 320, 160, 224, "avg", 128)
    x = module(x, 352, 192, 320, 192, 224, "max", 128)
    x = net.avgpool(x, net.shapes[x][1], 1)
    return net, classify(net, x, [])


def shufflenet():
    net = Net("shufflenet", 7, 224)
    groups = 3

    def shuffle(x):
        c, h, width = net.shapes[x]
        grouped = net.constant(np.array([0, groups, c // groups, h, width], dtype=np.int64),
                               "shuffle_shape")
        y = net.node("Reshape", [x, grouped], "shuffle_split")
        y = net.node("Transpose", [y], "shuffle", perm=[0, 2, 1, 3, 4])
        flat = net.constant(np.array([0, -1, h, width], dtype=np.int64), "shuffle_shape")
        y = net.node("Reshape", [y, flat], "shuffle_join")
        net.shapes[y] = (c, h, width)
        return y

    def unit(x, out, stride, first_group):
        c = net.shapes[x][0]
        bottleneck = out // 4
        made = out - c if stride == 2 else out
        y = net.relu(net.bn(net.conv(x, bottleneck, 1, group=first_group, bias=False)))
        y = shuffle(y)
        y = net.bn(net.conv(y, bottleneck, 3, stride, 1, group=bottleneck, bias=False))
        y = net.bn(net.conv(y, made, 1, group=groups, bias=False), scale=(0.3, 0.5))
        if stride == 2:
            return net.relu(net.concat([net.avgpool(x, 3, 2, 1), y]))
        return net.relu(net.sum([x, y]))

    x = conv_bn_relu(net, "data", w(24), 3, 2, 1)
    x = net.maxpool(x, 3, 2, 1)
    for stage, (units, width) in enumerate([(4, 240), (8, 480), (4, 960)]):
        for k in range(units):
            x = unit(x, w(width), 2 if k == 0 else 1, 1 if stage == 0 and k == 0 else groups)
    x = net.avgpool(x, net.shapes[x][1], 1)
    return net, classify(net, x, [])


def alexnet():
    net = Net("alexnet", 8, 224)
    x = net.lrn(conv_relu(net, "data", w(96), 11, 4, gain=CAFFE_PIXEL_SCALE))
    x = net.maxpool(x, 3, 2, ceil=True)
    x = net.lrn(conv_relu(net, x, w(256), 5, 1, 2, group=2))
    x = net.maxpool(x, 3, 2, ceil=True)
    x = conv_relu(net, x, w(384), 3, 1, 1)
    x = conv_relu(net, x, w(384), 3, 1, 1, group=2)
    x = conv_relu(net, x, w(256), 3, 1, 1, group=2)
    x = net.maxpool(x, 3, 2, ceil=True)
    return net, classify(net, x, [w(4096), w(4096)], dropout_mask=True,
                         gain=1 / CAFFE_PIXEL_SCALE)


def zfnet512():
    net = Net("zfnet512", 9, 224)
    x = conv_relu(net, "data", w(96), 7, 2, 1, gain=CAFFE_PIXEL_SCALE)
    x = net.lrn(net.maxpool(x, 3, 2, ceil=True))
    x = conv_relu(net, x, w(256), 5, 2)
    x = net.lrn(net.maxpool(x, 3, 2, ceil=True))
    x = conv_relu(net, x, w(512), 3, 1, 1)
    x = conv_relu(net, x, w(1024), 3, 1, 1)
    x = conv_relu(net, x, w(512), 3, 1, 1)
    x = net.maxpool(x, 3, 2, ceil=True)
    return net, classify(net, x, [w(4096), w(4096)], gain=1 / CAFFE_PIXEL_SCALE)


BUILDERS = {
    "resnet50": resnet50,
    "vgg19": vgg19,
    "squeezenet": squeezenet,
    "densenet121": densenet121,
    "inception_v1": inception_v1,
    "inception_v2": inception_v2,
    "shufflenet": shufflenet,
    "alexnet": alexnet,
    "zfnet512": zfnet512,
}
NAMES = list(BUILDERS)


def build_model(name):
    """The model NAME, checked by onnx's checker and its strict shape inference."""
    net, outputs = BUILDERS[name]()
    model = net.model(outputs)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True,
                                                 data_prop=True)
    for output in inferred.graph.output:
        declared = [d.dim_value or d.dim_param for d in output.type.tensor_type.shape.dim]
        assert declared == ["N", CLASSES], (name, output.name, declared)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("names", nargs="*", default=NAMES)
    args = parser.parse_args()
    for name in args.names:
        model = build_model(name)
        folder = os.path.join(args.output, name, "1")
        os.makedirs(folder, exist_ok=True)
        onnx.save(model, os.path.join(folder, "model.onnx"))
        ops = sorted({n.op_type for n in model.graph.node})
        print(f"{name}: {len(model.graph.node)} nodes, {' '.join(ops)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
